package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What a worker's {@link Addresses#workerInbox} carries: an {@link Assignment} or a {@link
 * RunCancel}. Read as this type, the body becomes the one or the other by its fields (no type field
 * goes on the wire), so the worker decodes each message once and acts on its type.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.DEDUCTION)
@JsonSubTypes({@JsonSubTypes.Type(Assignment.class), @JsonSubTypes.Type(RunCancel.class)})
public sealed interface WorkerInboxMessage permits Assignment, RunCancel {}
