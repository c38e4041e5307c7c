package org.bootfarm.cli;

/** Entry point of the bootfarm jar. */
public final class Main {
  public static void main(String[] args) {
    System.out.println("bootfarm");
  }
}
