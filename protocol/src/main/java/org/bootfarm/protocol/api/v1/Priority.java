package org.bootfarm.protocol.api.v1;

/** Which builds the queue hands out first: interactive submissions before nightly ones. */
public enum Priority {
  INTERACTIVE,
  NIGHTLY
}
