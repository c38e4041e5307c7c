package org.bootfarm.coordinator.failover;

import java.util.List;
import java.util.function.BooleanSupplier;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.nightly.NightlyApi;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;

/** The nightly HTTP calls: answered here when this coordinator is active, forwarded to the active one otherwise. */
public final class ActiveOrForwardedNightlyApi implements NightlyApi {
  private final BooleanSupplier active;
  private final NightlyApi local;
  private final NightlyApi forwarding;

  public ActiveOrForwardedNightlyApi(BooleanSupplier active, NightlyApi local, NightlyApi forwarding) {
    this.active = active;
    this.local = local;
    this.forwarding = forwarding;
  }

  private NightlyApi target() {
    return active.getAsBoolean() ? local : forwarding;
  }

  @Override
  public NightlyReport latest() throws ApiException {
    return target().latest();
  }

  @Override
  public NightlyReport get(String id) throws ApiException {
    return target().get(id);
  }

  @Override
  public List<NightlyReport> list(int limit) throws ApiException {
    return target().list(limit);
  }

  @Override
  public NightlyReport runNow(Caller caller) throws ApiException {
    return target().runNow(caller);
  }

  @Override
  public ReproducibilityPair verify(Caller caller, String buildId) throws ApiException {
    return target().verify(caller, buildId);
  }

  @Override
  public ReproducibilityPair pair(String id) throws ApiException {
    return target().pair(id);
  }
}
