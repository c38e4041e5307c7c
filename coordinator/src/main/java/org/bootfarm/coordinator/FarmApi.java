package org.bootfarm.coordinator;

import java.util.Collection;
import java.util.List;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * The calls of the public API (version 1) that the HTTP server translates: answered by {@link
 * BuildCoordinator} on the active coordinator, and forwarded to it over the event bus by a standby
 * ({@code bus.ForwardingFarmApi}). A refusal is an {@link ApiException}, the same on both. The calls that
 * change something take the {@link Caller} they are made for: a build records who submitted it, and only
 * that client or an admin may cancel it.
 */
public interface FarmApi {
  String submit(Caller caller, SubmitRequest request) throws ApiException;

  BuildView get(String id) throws ApiException;

  List<BuildView> list(BuildQuery query) throws ApiException;

  BuildView cancel(Caller caller, String id) throws ApiException;

  BuildView pin(Caller caller, String id, PinRequest request) throws ApiException;

  BuildView unpin(Caller caller, String id) throws ApiException;

  /** Records a QUEUED rebuild of SUCCEEDED build {@code id} from its record (ADR 0037); answers the new build. */
  BuildView rebuild(Caller caller, String id) throws ApiException;

  List<RepoInfo> repos() throws ApiException;

  Collection<WorkerInfo> workers() throws ApiException;
}
