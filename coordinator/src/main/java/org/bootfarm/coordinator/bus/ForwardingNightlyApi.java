package org.bootfarm.coordinator.bus;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.nightly.NightlyApi;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;

/**
 * The nightly calls of whichever coordinator is active, over the event bus: what a standby's HTTP
 * server answers with, through {@link ForwardingFarmApi}'s request and error handling. Blocks the
 * calling thread: call it off the event loop.
 */
public final class ForwardingNightlyApi implements NightlyApi {
  private final ForwardingFarmApi bus;

  public ForwardingNightlyApi(ForwardingFarmApi bus) {
    this.bus = bus;
  }

  @Override
  public NightlyReport latest() throws ApiException {
    return ForwardingFarmApi.read(bus.call(Addresses.NIGHTLY_LATEST, new JsonObject()), NightlyReport.class);
  }

  @Override
  public NightlyReport get(String id) throws ApiException {
    return ForwardingFarmApi.read(bus.call(Addresses.NIGHTLY_GET, new JsonObject().put("id", id)),
        NightlyReport.class);
  }

  @Override
  public List<NightlyReport> list(int limit) throws ApiException {
    return ForwardingFarmApi.readAll(bus.call(Addresses.NIGHTLY_LIST, new JsonObject().put("limit", limit))
        .getJsonArray("runs"), NightlyReport.class);
  }

  @Override
  public NightlyReport runNow(Caller caller) throws ApiException {
    return ForwardingFarmApi.read(bus.call(Addresses.NIGHTLY_RUN_NOW, new JsonObject(), caller), NightlyReport.class);
  }

  @Override
  public ReproducibilityPair verify(Caller caller, String buildId) throws ApiException {
    return ForwardingFarmApi.read(bus.call(Addresses.VERIFY, new JsonObject().put("id", buildId), caller),
        ReproducibilityPair.class);
  }

  @Override
  public ReproducibilityPair pair(String id) throws ApiException {
    return ForwardingFarmApi.read(bus.call(Addresses.PAIR_GET, new JsonObject().put("id", id)),
        ReproducibilityPair.class);
  }
}
