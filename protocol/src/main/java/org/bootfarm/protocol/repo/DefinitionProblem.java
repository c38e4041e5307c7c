package org.bootfarm.protocol.repo;

/**
 * One thing wrong with a repo definition, naming the file and the field so an operator can fix it.
 *
 * @param file    the file, relative to the definition directory (e.g. {@code repo-spec.json})
 * @param field   the field or INI key at fault (e.g. {@code packagemanager}, {@code [photon] gpgkey}),
 *                or an empty string when the whole file is at fault
 * @param message what is wrong and what to do
 */
public record DefinitionProblem(String file, String field, String message) {
  @Override
  public String toString() {
    return field.isEmpty() ? file + ": " + message : file + ": " + field + ": " + message;
  }
}
