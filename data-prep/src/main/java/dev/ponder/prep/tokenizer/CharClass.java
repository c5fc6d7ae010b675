package dev.ponder.prep.tokenizer;

/**
 * The four character classes the GPT-2 pre-tokenizer regex distinguishes: letters ({@code \p{L}}),
 * numbers ({@code \p{N}}), white space ({@code \s}) and everything else.
 *
 * <p>Why our own table instead of {@link Character}: Hugging Face {@code tokenizers} runs the regex
 * on Oniguruma 6.9.8, whose Unicode data is version 14.0, and its {@code \s} is the Unicode
 * White_Space property (U+001C..U+001F are not spaces, U+00A0 and U+202F are). Java's
 * {@code Character} follows the JVM's Unicode version (13.0 on Java 17, 15.0 on Java 21) and its
 * {@code isWhitespace} differs from White_Space, so encodings would drift with the JVM. The table
 * pins the classes; {@code HfPreTokenizerParityTest} checks every code point against the library.
 *
 * <p>TABLE was generated with Python 3.11 ({@code unicodedata.unidata_version == "14.0.0"}): the
 * class of each code point (L: general category L*, N: N*, WS: the White_Space list in {@link
 * #isWhiteSpace}, else OTHER); each point where the class changes is stored as {@code (delta from
 * the previous change) * 4 + class}, written in base 32 most significant digit first with digits
 * from {@code CONT} and the last digit from {@code LAST}.
 */
final class CharClass {
  static final int OTHER = 0;
  static final int LETTER = 1;
  static final int NUMBER = 2;
  static final int SPACE = 3;

  private static final String CONT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  private static final String LAST = "abcdefghijklmnopqrstuvwxyz6789+/";
  private static final String TABLE = ""
      + "aBhuCleB+Bi9DizDiBleDleBfe+ifeofegmfC8fD8fBZirBqBzu9efeQfufijqfezefmfefCqfKmfRmBbUyfEyjezFeI9Dmr"
      + "qFvFmCwBirifMmfeB9i9kBjmjeCbefDyDvLeBneB6BjEeBfirevCyreBfeneC9De9BmvDafyCfFiHjGyneCje9BisBifCarB"
      + "ajijCyf8fenqneCbeBvifmsBjikyjeBbyrijCyf8fififiD9qfe+BijmCbBefmfCyf8fifuneCjeB9isBiBfeBnBajijCyf8"
      + "fifuneDzifmsBifgyBnefynmfqnifefininmnBqCzeCwBuCjBafmfC8fCaneDjmjejisBiBc8ferBafmfC8fBifuneD9ifis"
      + "BifiCfBefmfFejeCbevmg9msCmfyvCinDafBefej8D+BiCfGafiBr8BgBiE9ifefufDafefBifiBfejufeBgBijqEbeD+CqB"
      + "rBafEqDnuOnFmCrgBizyrqneni9mrBuBregBizEyfevejFmfBJufqj8fefqjFefqjEefqj8fefqjB8fHefqjImB6CqnCaCbK"
      + "yjynCNqjChfDivJmonBa9CiBvCmBzCiBzBufmB9GqEnereoBi6BiC6BizLe9ujEifevIyBjD8E+BjDyjuBnFqrDi6BmEvC8B"
      + "fGuFoBi6BiBveLvF8CfBaoBiFfDyBvkBjFqDjEqDsBinoBjEqjBe9FmjmFfqfyfinevYaIbBCyjyjEyjyjBafefefefD8jGu"
      + "f8fenmf8nqjyrBuvmf8pBmDxixeF/eCcfekyvgBizBuMverejBifenuzefefefqfBmjqvuregGnkuC06HqJ6CyCO6DyENr2u"
      + "zqniBgejEyfevejHa9eCbC8Bf8f8f8f8f8f8f8f8KbeB0derkeDgBe9uknirKyzmfLifqvFmfLyoqBjEaGbCaEcBiD6BagB8"
      + "EcBiE+B8BIbZYaIbCWRuInFyjBBunCcBjiCrF8CbD8jI6BiE9BejM8jIavifefuDbCafmfqfC8BwyBjGqBzGiDsBiDbynefi"
      + "gBjDqBjC8DfDu9F8DrgBizufBkBjufFeC9mfBasBizC8nenGifenijujefeDbmjBm9mBryjyjyBf8f8fFmfByzOmBwBizBLU"
      + "qBrC8rGeBBArBNyjNiEz8BruvefBifBufufefififNqEfBNmCjIajGyFbBqOrufQ8CoBi9DizDiBnLenyjyjyjmEnBqfDifC"
      + "mfifB8jByEjPmBsFuBsHeCgi4rDunGeCcDmrEcqBfCsfBcevEyBjDyjEqrBaguFjTykBizEqrEqrFaBbGqBrBmfB8f8fifBm"
      + "fB8f8fiInBG8BfCyBjBaDbyfFifBeIvyjefFqfinejC8kBbC8k9D8BcBeGbCmfiwvC6yrDiIzHasjkCakFzeB9qfmfDuBkBe"
      + "C9DwifDwmEbBafDq6uCbGyBjCykBbCmwBbCiC+8KbJeG9GmBvGm+zEqBsBiBE6D8fFiziJzDwBjeBbCyBoqDnCiFzCw8CrC8"
      + "BrGuDkDyfijeBvFuEbDe+BiBfEqB+BirejeBbEmneBrGaBzqBoBjefesCqBnCifDeKr8fefqfB8fBi9F8CgBiBnBajijCyf8"
      + "fifuneCjeBruTzGuCjqwBivmDzGaCrifeBcBiUzF8FfqErGaCreBoBiEzFmBve+BiGzDmCwBqr8XfFqOrIcCmBrBajejBafi"
      + "fDaB9efeB6BiIzBajE8CbefeDreBjFa9eCveBnFyCneCjJeBA9BefEuCfeB+DuvDyOb8fifEyCveBgBizyfifEaBze+BiBGz"
      + "CmXveB+CuFnDTiM6N8CfYqKJrMeB9EF8P0fCI8BBXfCHe9D8gBizJ8gBizDyCjGaCbqBsBig8fCuvCmCWbIcC8NfJmveIjBu"
      + "IbifeDrX5aBbE0yFjBeBC29qf8fifBEmFvmCfqBbBRqJArNmvBunBe9BiWI6CqNsDeQ9KufI8fijejijqfBqfef8fIefqjBa"
      + "f8fDqfqfufen8fBKqjDefDefD8fDefD8fDefD8fDefD8fDefBakGiHAbD8B2fFuBj8kBireBIfDyCjFqsBiE2z8fqfifB8fY"
      + "ukBeGbIq9esBiDC+HmgmgqJsFugB8YjqfDmfifejefBifqfefezerefefefmfifejefefefefefifejqf8fqfqfefBifCevm"
      + "fufCeCIsBuK2oBiEAzFG2aEbQHe91yjWQiBz3GeMD9CDyF2jTJm";

  // Decoded once; never written afterwards (the only static state here, and it is immutable).
  private static final int[] STARTS;
  private static final byte[] CLASSES;
  /** Class of every BMP code point: one array read on the hot path instead of a search. */
  private static final byte[] BMP = new byte[0x10000];

  static {
    int n = 0;
    for (int i = 0; i < TABLE.length(); i++) {
      if (LAST.indexOf(TABLE.charAt(i)) >= 0) {
        n++;
      }
    }
    STARTS = new int[n];
    CLASSES = new byte[n];
    int cp = 0;
    int v = 0;
    int k = 0;
    for (int i = 0; i < TABLE.length(); i++) {
      char c = TABLE.charAt(i);
      int d = CONT.indexOf(c);
      if (d >= 0) {
        v = v * 32 + d;
        continue;
      }
      v = v * 32 + LAST.indexOf(c);
      cp += v >>> 2;
      STARTS[k] = cp;
      CLASSES[k] = (byte) (v & 3);
      k++;
      v = 0;
    }
    for (int i = 0; i < n && STARTS[i] < 0x10000; i++) {
      int end = i + 1 < n ? Math.min(STARTS[i + 1], 0x10000) : 0x10000;
      java.util.Arrays.fill(BMP, STARTS[i], end, CLASSES[i]);
    }
  }

  private CharClass() {}

  /** The class of a code point (0..0x10FFFF). */
  static int of(int cp) {
    if (cp < 0x10000) {
      return BMP[cp];
    }
    int lo = 0;
    int hi = STARTS.length - 1;
    while (lo < hi) { // the last start <= cp
      int mid = (lo + hi + 1) >>> 1;
      if (STARTS[mid] <= cp) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return CLASSES[lo];
  }

  /** The Unicode White_Space property, as Oniguruma's {@code \s} uses it; documents TABLE. */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
        || cp == 0x205F || cp == 0x3000;
  }
}
