package org.bootfarm.cluster.identity;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Pins which sequence numbers of one session a coordinator accepts: each once, out of order within the window. */
@Tag("unit")
class ReplayWindowTest {
  @Test
  void acceptsEachNumberOnceInAnyOrderWithinTheWindow() {
    ReplayWindow window = new ReplayWindow();
    for (long s : new long[] {0, 2, 1, 5, 3, 4}) {
      assertNull(window.accept(s), "sequence " + s);
    }
    for (long s = 0; s <= 5; s++) {
      assertTrue(window.accept(s).contains("accepted already"), "sequence " + s);
    }
    assertNull(window.accept(ReplayWindow.SIZE + 4));
    assertTrue(window.accept(4).contains("behind the newest"), "4 fell out of the window");
    assertNull(window.accept(6), "6 was never seen and is still inside the window");
    assertTrue(window.accept(6).contains("accepted already"));
    assertTrue(window.accept(-1).contains("negative"));
  }

  @Test
  void aJumpForgetsNothingItStillCovers() {
    ReplayWindow window = new ReplayWindow();
    assertNull(window.accept(100));
    assertNull(window.accept(100 + ReplayWindow.SIZE - 1));
    assertTrue(window.accept(100).contains("accepted already"), "100 is still inside the window");
    assertNull(window.accept(101));
    assertNull(window.accept(10L * ReplayWindow.SIZE));
    assertTrue(window.accept(101).contains("behind the newest"));
  }
}
