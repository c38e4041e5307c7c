package org.bootfarm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every test class of every module carries a tier tag at class level, from the known tiers: the fast tier
 * ({@code ./bootfarm test --fast}) runs "unit" only, so an untagged class would silently never run there,
 * and a misspelt tag would silently run nowhere but in the full build. This reads the sources, since this
 * module may not depend on the modules it checks.
 */
@Tag("unit")
class TierTagsTest {

  /** The tiers (README.md, "Tests"); a class is "unit" or one or more of the others. */
  static final Set<String> TIERS = Set.of("unit", "process", "boot", "network", "tool");

  private static final Pattern TEST_METHOD = Pattern.compile("^\\s*@(Test|ParameterizedTest|RepeatedTest|TestFactory)\\b",
      Pattern.MULTILINE);
  private static final Pattern CLASS_TAG = Pattern.compile("^@Tag\\(\"([^\"]*)\"\\)", Pattern.MULTILINE);
  private static final Pattern ANY_TAG = Pattern.compile("@Tag\\(\"([^\"]*)\"\\)");

  @Test
  void everyTestClassHasAKnownTierTag() throws IOException {
    List<Path> sources = testSources();
    assertTrue(sources.size() > 50, "found the modules' test sources: " + sources.size());
    List<String> problems = new ArrayList<>();
    for (Path source : sources) {
      String text = Files.readString(source);
      String name = source.getFileName().toString();
      if (!TEST_METHOD.matcher(text).find() && !name.endsWith("Test.java")) {
        continue;
      }
      List<String> classTiers = new ArrayList<>();
      Matcher tag = CLASS_TAG.matcher(text);
      while (tag.find()) {
        classTiers.add(tag.group(1));
      }
      if (classTiers.isEmpty()) {
        problems.add(source + ": no tier tag; put @Tag(\"unit\") (or process, boot, network, tool) on the class");
      } else if (classTiers.contains("unit") && classTiers.size() > 1) {
        problems.add(source + ": tagged " + classTiers + "; a unit class has no other tier, tag the slow methods instead");
      }
      Matcher any = ANY_TAG.matcher(text);
      while (any.find()) {
        if (!TIERS.contains(any.group(1))) {
          problems.add(source + ": tag \"" + any.group(1) + "\" is no tier; the tiers are " + TIERS);
        }
      }
    }
    assertEquals(List.of(), problems, "test classes without a proper tier tag");
  }

  /** The *.java files under every module's src/test/java, this module's included. */
  static List<Path> testSources() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    try (Stream<Path> modules = Files.list(root)) {
      List<Path> found = new ArrayList<>();
      for (Path tests : modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).toList()) {
        try (Stream<Path> files = Files.walk(tests)) {
          files.filter(f -> f.toString().endsWith(".java")).sorted().forEach(found::add);
        }
      }
      return found;
    }
  }
}
