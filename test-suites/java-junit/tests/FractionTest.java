// Staff tests for cs210 Lab 2 (copied into the work dir by the grader): JUnit 5 (Jupiter).
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FractionTest {
    @Test
    void normalizes() {
        assertEquals("1/2", new Fraction(2, 4).toString());
    }

    @Test
    void keepsTheSignInTheNumerator() {
        assertEquals("-1/2", new Fraction(1, -2).toString());
    }

    @Test
    void refusesAZeroDenominator() {
        assertThrows(ArithmeticException.class, () -> new Fraction(1, 0));
    }

    @ParameterizedTest
    @CsvSource({"1, 2, 1, 3, 5/6", "1, 2, 1, 2, 1/1", "-1, 3, 1, 3, 0/1"})
    void adds(int a, int b, int c, int d, String sum) {
        assertEquals(sum, new Fraction(a, b).plus(new Fraction(c, d)).toString());
    }

    @Test
    void équivalentesSontÉgales() {
        assertEquals(new Fraction(1, 2), new Fraction(3, 6));
        assertNotEquals(new Fraction(1, 2), new Fraction(1, 3));
    }

    @Nested
    class Multiplication {
        @Test
        void multiplies() {
            assertEquals("3/8", new Fraction(1, 2).times(new Fraction(3, 4)).toString());
        }

        @Test
        void byZero() {
            assertEquals("0/1", new Fraction(1, 2).times(new Fraction(0, 5)).toString());
        }
    }
}
