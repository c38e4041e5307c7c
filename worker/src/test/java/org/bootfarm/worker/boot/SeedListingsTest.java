package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The listing parser compares rules, policies and references and nothing else. */
@Tag("unit")
class SeedListingsTest {

  @Test
  void countersAndColumnSpacingDoNotMatter() {
    String fromIptables = """
        Chain INPUT (policy DROP 0 packets, 0 bytes)
         pkts bytes target     prot opt in     out     source               destination
          117 9K VIC        all  --  any    any     anywhere             anywhere

            0     0 ACCEPT     all  --  lo     any     anywhere             anywhere
        """;
    String fromSeed = """
        Chain INPUT (policy DROP 1 packets, 36 bytes)
        pkts bytes target prot opt in out source destination
        2 72 VIC all -- any any anywhere anywhere
        0 0 ACCEPT all -- lo any anywhere anywhere
        """;
    assertEquals(SeedListings.parse(fromSeed), SeedListings.parse(fromIptables));
  }

  @Test
  void seedBridgeListingHasFourChainsAndTheVicChainReferencedTwice() {
    List<SeedListings.Chain> chains = SeedListings.parse(SeedListings.BRIDGE_FILTER);
    assertEquals(List.of("INPUT", "FORWARD", "OUTPUT", "VIC"), chains.stream().map(SeedListings.Chain::name).toList());
    assertEquals("DROP", chains.get(0).policy());
    assertNull(chains.get(3).policy());
    assertEquals(2, chains.get(3).references());
    assertEquals(new SeedListings.Rule("ACCEPT", "all", "--", "eth0", "any", "anywhere", "anywhere",
        "state RELATED,ESTABLISHED"), chains.get(3).rules().get(0));
  }

  @Test
  void aDifferentMatchOrPolicyIsADifferentListing() {
    String seed = SeedListings.PUBLISHED_FILTER;
    assertNotEquals(SeedListings.parse(seed), SeedListings.parse(seed.replace("dpt:8080", "dpt:8081")));
    assertNotEquals(SeedListings.parse(seed),
        SeedListings.parse(seed.replace("Chain FORWARD (policy DROP", "Chain FORWARD (policy ACCEPT")));
    assertNotEquals(SeedListings.parse(seed),
        SeedListings.parse(seed.replace("0 0 ACCEPT tcp -- eth0 any anywhere anywhere tcp dpt:8080\n", "")));
  }

  @Test
  void ruleWithoutTargetKeepsItsColumns() {
    List<SeedListings.Chain> chains = SeedListings.parse("""
        Chain VIC (1 references)
            0     0            all  --  eth0   any     10.0.0.0/8           anywhere
        """);
    assertEquals(new SeedListings.Rule("", "all", "--", "eth0", "any", "10.0.0.0/8", "anywhere", ""),
        chains.get(0).rules().get(0));
  }

  @Test
  void garbageIsRejectedWithTheLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SeedListings.parse("iptables: No chain/target/match by that name."));
    assertEquals("iptables rule before any chain header: iptables: No chain/target/match by that name.",
        e.getMessage());
  }
}
