package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How the apt resolver reads {@code apt-get --print-uris}: each line names one package file by apt's archive name
 * (name, version with its epoch, architecture, '%'-quoted) and the URL apt would fetch it from (the SHA256 is then
 * the signed index's for that URL: apt prints MD5Sum or nothing); any other output names nothing. A build's lock
 * counts as installed-as-resolved only when it is the last transaction file for file.
 */
@Tag("unit")
class AptResolverTest {
  private static final String SHA = "3f8a2b6c5d4e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a";

  @Test
  void printUrisLineNamesPackageVersionArchitectureAndTheUrlUnquoted() {
    assertEquals(Optional.of(new AptResolver.PrintedFile("libc6", "2.36-9+deb12u10", "amd64",
        "http://mirror.invalid/debian/pool/main/g/glibc/libc6_2.36-9+deb12u10_amd64.deb")), AptResolver.printedFile(
        "'http://mirror.invalid/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u10_amd64.deb'"
            + " libc6_2.36-9+deb12u10_amd64.deb 2757536 MD5Sum:8d98f0c882f269aaee8437bcfe89346e"));
  }

  @Test
  void epochAndQuotedCharactersAreUnquotedAndAMissingHashIsNoMatter() {
    assertEquals(Optional.of(new AptResolver.PrintedFile("perl-base", "1:5.36.0-7~deb12u4", "amd64",
        "http://mirror.invalid/debian-security/pool/updates/main/p/perl/perl-base_5.36.0-7~deb12u4_amd64.deb")),
        AptResolver.printedFile("'http://mirror.invalid/debian-security/pool/updates/main/p/perl/"
            + "perl-base_5.36.0-7%7edeb12u4_amd64.deb' perl-base_1%3a5.36.0-7~deb12u4_amd64.deb 1609596 "));
    assertEquals("a_1%3a2%5f3_all.deb", AptPackageIndex.archiveName("a", "1:2_3", "all"));
    assertEquals("1:2_3", AptResolver.printedFile("'http://m.invalid/a.deb' a_1%3a2%5f3_all.deb 1 SHA256:" + SHA)
        .orElseThrow().version());
  }

  @Test
  void anyOtherOutputNamesNothing() {
    assertEquals(Optional.empty(), AptResolver.printedFile("Reading package lists..."));
    assertEquals(Optional.empty(), AptResolver.printedFile("E: Unable to locate package bootfarm-no-such-package"));
    assertEquals(Optional.empty(), AptResolver.printedFile("'http://m.invalid/InRelease' InRelease 1234 "));
  }

  @Test
  void aLockIsInstalledAsResolvedOnlyWhenItIsTheLastTransactionFileForFile() {
    PackageOrigin main = new PackageOrigin("bookworm/main", "http://mirror.invalid/debian/pool/main/k/kmod/kmod.deb");
    LockedPackage kmod = new LockedPackage("kmod", "30+20221128-1", "amd64", SHA, 1_700_000_000L, main);
    List<String> resolved = List.of("transaction 0", "dpkg 1.21.22 amd64 sha256 " + "0".repeat(64) + " origin unknown",
        "transaction 1", "kmod 30+20221128-1 amd64 sha256 " + SHA + " origin bookworm/main " + main.url());
    AptDriver driver = new AptDriver();
    assertEquals(Optional.empty(), ResolutionCheck.mismatch(driver, resolved, new Lock("mmdebstrap", List.of(kmod))));
    LockedPackage older = new LockedPackage("kmod", "30+20221128-0", "amd64", "1".repeat(64), 1_600_000_000L, main);
    assertTrue(ResolutionCheck.mismatch(driver, resolved, new Lock("mmdebstrap", List.of(older))).isPresent(),
        "a base stage from the stage cache that installed an older kmod");
    assertTrue(ResolutionCheck.mismatch(driver, resolved, new Lock("mmdebstrap", List.of(kmod.withOrigin(null))))
        .isPresent(),
        "the origin is part of the buildinfo, so of what was resolved");
    assertTrue(ResolutionCheck.mismatch(driver, resolved, new Lock("mmdebstrap", List.of(kmod), List.of(older)))
        .isPresent(),
        "a package the staging installed and removed is an input too");
  }
}
