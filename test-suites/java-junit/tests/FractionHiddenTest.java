// Hidden staff tests for cs210 Lab 2: students see only whether each passed.
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FractionHiddenTest {
    @Test
    void largeValuesDoNotOverflowWhenNormalizing() {
        assertEquals("1/3", new Fraction(1_000_000_000L, 3_000_000_000L).toString());
    }

    @Test
    void equalFractionsHaveEqualHashCodes() {
        assertEquals(new Fraction(2, 4).hashCode(), new Fraction(1, 2).hashCode());
    }
}
