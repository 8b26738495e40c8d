#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* What a code point is to the tokenizer, when it is not a letter with a
 * folded form (fold_cp returns the length of that form, 1 to 3 bytes). */
enum {
	CL_SEP = 0,     /* ends a token */
	CL_IGNORE = -1, /* skipped without ending a token: combining marks */
	CL_KEEP = -2,   /* a letter of another script, kept as it is */
};

/* ASCII: the folded byte of a letter or digit, ' ' for a separator. */
static const char ascii_tab[128 + 1] = "                "
                                       "                "
                                       "                "
                                       "0123456789      "
                                       " abcdefghijklmno"
                                       "pqrstuvwxyz     "
                                       " abcdefghijklmno"
                                       "pqrstuvwxyz     ";

/* Latin letters, one byte per code point from U+00C0 to U+02AF (Latin-1
 * Supplement, Latin Extended-A and -B, IPA Extensions) and from U+1E00 to
 * U+1EFF (Latin Extended Additional): the folded letter in lower case, an
 * upper-case letter for a two-letter folding (an index into multi_tab), or
 * ' ' for a separator (× and ÷; the glottal stops and clicks that are written
 * as an apostrophe or not at all). Diacritics are stripped by canonical and
 * compatibility decomposition; letters without one fold to the letter their
 * Unicode name is a form of (ƀ "b with stroke" -> b, ɛ "open e" -> e), or
 * to their usual transliteration (ß -> ss, þ -> th, ĸ -> q, ƿ -> w, ʃ -> sh). */
static const char latin_tab[] = "aaaaaaAceeeeiiiidnooooo ouuuuyBC" /* U+00C0 */
                                "aaaaaaAceeeeiiiidnooooo ouuuuyBy" /* U+00E0 */
                                "aaaaaaccccccccddddeeeeeeeeeegggg" /* U+0100 */
                                "gggghhhhiiiiiiiiiiDDjjkkqlllllll" /* U+0120 */
                                "lllnnnnnnnnnooooooEErrrrrrssssss" /* U+0140 */
                                "ssttttttuuuuuuuuuuuuwwyyyzzzzzzs" /* U+0160 */
                                "bbbbhhoccdddddeeeffggFiikkllmnno" /* U+0180 */
                                "ooGGpprzzHHttttuuuvyyzzzzzzIqqJw" /* U+01A0 */
                                "cxcqIIIKKKLLLaaiioouuuuuuuuuueaa" /* U+01C0 */
                                "aaAAggggkkoooozzjIIIggFwnnaaAAoo" /* U+01E0 */
                                "aaaaeeeeiiiioooorrrruuuussttMMhh" /* U+0200 */
                                "ndNNzzaaeeooooooooyylntjOPacclts" /* U+0220 */
                                "z  buveejjqqrryyaaobocddeeeeeeej" /* U+0240 */
                                "ggggohhhiiillllmmmnnnoEofrrrrrrr" /* U+0260 */
                                "rrsHjHHttuuvvwyyzzzz   c beghjkl" /* U+0280 */
                                "q  IIIJQRSTU  hh";                /* U+02A0 */

static const char latin_ext_tab[] = "aabbbbbbccddddddddddeeeeeeeeeeff"  /* U+1E00 */
                                    "gghhhhhhhhhhiiiikkkkkkllllllllmm"  /* U+1E20 */
                                    "mmmmnnnnnnnnoooooooopppprrrrrrrr"  /* U+1E40 */
                                    "ssssssssssttttttttuuuuuuuuuuvvvv"  /* U+1E60 */
                                    "wwwwwwwwwwxxxxyyzzzzzzhtwyasssCd"  /* U+1E80 */
                                    "aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee"  /* U+1EA0 */
                                    "eeeeeeeeiiiioooooooooooooooooooo"  /* U+1EC0 */
                                    "oooouuuuuuuuuuuuuuyyyyyyyyVVvvyy"; /* U+1EE0 */

/* The two-letter foldings, 'A' + index in the tables above. */
static const char multi_tab[][3] = {
    "ae", "th", "ss", "ij", "oe", "hv", "oi", "sh", "dz", "ts", "lj",
    "nj", "gh", "ou", "db", "qp", "ch", "tc", "fn", "ls", "lz", "ll",
};

/* Greek and Coptic, Cyrillic (U+0370 to U+04FF) and Greek Extended (U+1F00
 * to U+1FFF): the folded code point, 0 for a separator, 1 for a skipped
 * mark. Greek folds to lower case without accents or breathings (ά -> α,
 * ϐ -> β, ς -> σ), Cyrillic to lower case, with ё, ѐ -> е and ѝ -> и. */
static const uint16_t greek_cyr_tab[] = {
    /* U+0370 */ 0x371, 0x371, 0x373, 0x373, 0x000, 0x000, 0x377, 0x377,
    /* U+0378 */ 0x000, 0x000, 0x001, 0x37b, 0x37c, 0x37d, 0x000, 0x3f3,
    /* U+0380 */ 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x3b1, 0x000,
    /* U+0388 */ 0x3b5, 0x3b7, 0x3b9, 0x000, 0x3bf, 0x000, 0x3c5, 0x3c9,
    /* U+0390 */ 0x3b9, 0x3b1, 0x3b2, 0x3b3, 0x3b4, 0x3b5, 0x3b6, 0x3b7,
    /* U+0398 */ 0x3b8, 0x3b9, 0x3ba, 0x3bb, 0x3bc, 0x3bd, 0x3be, 0x3bf,
    /* U+03A0 */ 0x3c0, 0x3c1, 0x000, 0x3c3, 0x3c4, 0x3c5, 0x3c6, 0x3c7,
    /* U+03A8 */ 0x3c8, 0x3c9, 0x3b9, 0x3c5, 0x3b1, 0x3b5, 0x3b7, 0x3b9,
    /* U+03B0 */ 0x3c5, 0x3b1, 0x3b2, 0x3b3, 0x3b4, 0x3b5, 0x3b6, 0x3b7,
    /* U+03B8 */ 0x3b8, 0x3b9, 0x3ba, 0x3bb, 0x3bc, 0x3bd, 0x3be, 0x3bf,
    /* U+03C0 */ 0x3c0, 0x3c1, 0x3c3, 0x3c3, 0x3c4, 0x3c5, 0x3c6, 0x3c7,
    /* U+03C8 */ 0x3c8, 0x3c9, 0x3b9, 0x3c5, 0x3bf, 0x3c5, 0x3c9, 0x3d7,
    /* U+03D0 */ 0x3b2, 0x3b8, 0x3c5, 0x3c5, 0x3c5, 0x3c6, 0x3c0, 0x3d7,
    /* U+03D8 */ 0x3d9, 0x3d9, 0x3db, 0x3db, 0x3dd, 0x3dd, 0x3df, 0x3df,
    /* U+03E0 */ 0x3e1, 0x3e1, 0x3e3, 0x3e3, 0x3e5, 0x3e5, 0x3e7, 0x3e7,
    /* U+03E8 */ 0x3e9, 0x3e9, 0x3eb, 0x3eb, 0x3ed, 0x3ed, 0x3ef, 0x3ef,
    /* U+03F0 */ 0x3ba, 0x3c1, 0x3c3, 0x3f3, 0x3b8, 0x3b5, 0x000, 0x3f8,
    /* U+03F8 */ 0x3f8, 0x3c3, 0x3fb, 0x3fb, 0x3fc, 0x37b, 0x37c, 0x37d,
    /* U+0400 */ 0x435, 0x435, 0x452, 0x453, 0x454, 0x455, 0x456, 0x457,
    /* U+0408 */ 0x458, 0x459, 0x45a, 0x45b, 0x45c, 0x438, 0x45e, 0x45f,
    /* U+0410 */ 0x430, 0x431, 0x432, 0x433, 0x434, 0x435, 0x436, 0x437,
    /* U+0418 */ 0x438, 0x439, 0x43a, 0x43b, 0x43c, 0x43d, 0x43e, 0x43f,
    /* U+0420 */ 0x440, 0x441, 0x442, 0x443, 0x444, 0x445, 0x446, 0x447,
    /* U+0428 */ 0x448, 0x449, 0x44a, 0x44b, 0x44c, 0x44d, 0x44e, 0x44f,
    /* U+0430 */ 0x430, 0x431, 0x432, 0x433, 0x434, 0x435, 0x436, 0x437,
    /* U+0438 */ 0x438, 0x439, 0x43a, 0x43b, 0x43c, 0x43d, 0x43e, 0x43f,
    /* U+0440 */ 0x440, 0x441, 0x442, 0x443, 0x444, 0x445, 0x446, 0x447,
    /* U+0448 */ 0x448, 0x449, 0x44a, 0x44b, 0x44c, 0x44d, 0x44e, 0x44f,
    /* U+0450 */ 0x435, 0x435, 0x452, 0x453, 0x454, 0x455, 0x456, 0x457,
    /* U+0458 */ 0x458, 0x459, 0x45a, 0x45b, 0x45c, 0x438, 0x45e, 0x45f,
    /* U+0460 */ 0x461, 0x461, 0x463, 0x463, 0x465, 0x465, 0x467, 0x467,
    /* U+0468 */ 0x469, 0x469, 0x46b, 0x46b, 0x46d, 0x46d, 0x46f, 0x46f,
    /* U+0470 */ 0x471, 0x471, 0x473, 0x473, 0x475, 0x475, 0x477, 0x477,
    /* U+0478 */ 0x479, 0x479, 0x47b, 0x47b, 0x47d, 0x47d, 0x47f, 0x47f,
    /* U+0480 */ 0x481, 0x481, 0x000, 0x001, 0x001, 0x001, 0x001, 0x001,
    /* U+0488 */ 0x001, 0x001, 0x48b, 0x48b, 0x48d, 0x48d, 0x48f, 0x48f,
    /* U+0490 */ 0x491, 0x491, 0x493, 0x493, 0x495, 0x495, 0x497, 0x497,
    /* U+0498 */ 0x499, 0x499, 0x49b, 0x49b, 0x49d, 0x49d, 0x49f, 0x49f,
    /* U+04A0 */ 0x4a1, 0x4a1, 0x4a3, 0x4a3, 0x4a5, 0x4a5, 0x4a7, 0x4a7,
    /* U+04A8 */ 0x4a9, 0x4a9, 0x4ab, 0x4ab, 0x4ad, 0x4ad, 0x4af, 0x4af,
    /* U+04B0 */ 0x4b1, 0x4b1, 0x4b3, 0x4b3, 0x4b5, 0x4b5, 0x4b7, 0x4b7,
    /* U+04B8 */ 0x4b9, 0x4b9, 0x4bb, 0x4bb, 0x4bd, 0x4bd, 0x4bf, 0x4bf,
    /* U+04C0 */ 0x4cf, 0x4c2, 0x4c2, 0x4c4, 0x4c4, 0x4c6, 0x4c6, 0x4c8,
    /* U+04C8 */ 0x4c8, 0x4ca, 0x4ca, 0x4cc, 0x4cc, 0x4ce, 0x4ce, 0x4cf,
    /* U+04D0 */ 0x4d1, 0x4d1, 0x4d3, 0x4d3, 0x4d5, 0x4d5, 0x4d7, 0x4d7,
    /* U+04D8 */ 0x4d9, 0x4d9, 0x4db, 0x4db, 0x4dd, 0x4dd, 0x4df, 0x4df,
    /* U+04E0 */ 0x4e1, 0x4e1, 0x4e3, 0x4e3, 0x4e5, 0x4e5, 0x4e7, 0x4e7,
    /* U+04E8 */ 0x4e9, 0x4e9, 0x4eb, 0x4eb, 0x4ed, 0x4ed, 0x4ef, 0x4ef,
    /* U+04F0 */ 0x4f1, 0x4f1, 0x4f3, 0x4f3, 0x4f5, 0x4f5, 0x4f7, 0x4f7,
    /* U+04F8 */ 0x4f9, 0x4f9, 0x4fb, 0x4fb, 0x4fd, 0x4fd, 0x4ff, 0x4ff,
};

static const uint16_t greek_ext_tab[] = {
    /* U+1F00 */ 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1,
    /* U+1F08 */ 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1,
    /* U+1F10 */ 0x3b5, 0x3b5, 0x3b5, 0x3b5, 0x3b5, 0x3b5, 0x000, 0x000,
    /* U+1F18 */ 0x3b5, 0x3b5, 0x3b5, 0x3b5, 0x3b5, 0x3b5, 0x000, 0x000,
    /* U+1F20 */ 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7,
    /* U+1F28 */ 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7,
    /* U+1F30 */ 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9,
    /* U+1F38 */ 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x3b9,
    /* U+1F40 */ 0x3bf, 0x3bf, 0x3bf, 0x3bf, 0x3bf, 0x3bf, 0x000, 0x000,
    /* U+1F48 */ 0x3bf, 0x3bf, 0x3bf, 0x3bf, 0x3bf, 0x3bf, 0x000, 0x000,
    /* U+1F50 */ 0x3c5, 0x3c5, 0x3c5, 0x3c5, 0x3c5, 0x3c5, 0x3c5, 0x3c5,
    /* U+1F58 */ 0x000, 0x3c5, 0x000, 0x3c5, 0x000, 0x3c5, 0x000, 0x3c5,
    /* U+1F60 */ 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9,
    /* U+1F68 */ 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9,
    /* U+1F70 */ 0x3b1, 0x3b1, 0x3b5, 0x3b5, 0x3b7, 0x3b7, 0x3b9, 0x3b9,
    /* U+1F78 */ 0x3bf, 0x3bf, 0x3c5, 0x3c5, 0x3c9, 0x3c9, 0x000, 0x000,
    /* U+1F80 */ 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1,
    /* U+1F88 */ 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1,
    /* U+1F90 */ 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7,
    /* U+1F98 */ 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7, 0x3b7,
    /* U+1FA0 */ 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9,
    /* U+1FA8 */ 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9, 0x3c9,
    /* U+1FB0 */ 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x000, 0x3b1, 0x3b1,
    /* U+1FB8 */ 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x3b1, 0x000, 0x3b9, 0x000,
    /* U+1FC0 */ 0x000, 0x000, 0x3b7, 0x3b7, 0x3b7, 0x000, 0x3b7, 0x3b7,
    /* U+1FC8 */ 0x3b5, 0x3b5, 0x3b7, 0x3b7, 0x3b7, 0x000, 0x000, 0x000,
    /* U+1FD0 */ 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x000, 0x000, 0x3b9, 0x3b9,
    /* U+1FD8 */ 0x3b9, 0x3b9, 0x3b9, 0x3b9, 0x000, 0x000, 0x000, 0x000,
    /* U+1FE0 */ 0x3c5, 0x3c5, 0x3c5, 0x3c5, 0x3c1, 0x3c1, 0x3c5, 0x3c5,
    /* U+1FE8 */ 0x3c5, 0x3c5, 0x3c5, 0x3c5, 0x3c1, 0x000, 0x000, 0x000,
    /* U+1FF0 */ 0x000, 0x000, 0x3c9, 0x3c9, 0x3c9, 0x000, 0x3c9, 0x3c9,
    /* U+1FF8 */ 0x3bf, 0x3bf, 0x3c9, 0x3c9, 0x3c9, 0x000, 0x000, 0x000,
};

_Static_assert(sizeof(latin_tab) == 0x2B0 - 0xC0 + 1, "latin_tab: U+00C0 to U+02AF");
_Static_assert(sizeof(latin_ext_tab) == 0x100 + 1, "latin_ext_tab: U+1E00 to U+1EFF");
_Static_assert(sizeof(greek_cyr_tab) == 2 * (0x500 - 0x370),
               "greek_cyr_tab: U+0370 to U+04FF");
_Static_assert(sizeof(greek_ext_tab) == 2 * 0x100, "greek_ext_tab: U+1F00 to U+1FFF");

/* ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ (U+FB00 to U+FB06), common in text copied from PDF files. */
static const char lig_tab[][4] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};

/* Code points from U+0500 up that are not letters: spans of separators
 * (punctuation, symbols, emoji, private use) and of skipped marks
 * (combining marks, joiners, variation selectors), sorted. Anything else is
 * a letter of another script. */
typedef struct cp_span {
	uint32_t lo, hi;
	int cl;
} cp_span;

static const cp_span span_tab[] = {
    {0x055A, 0x055F, CL_SEP}, /* Armenian punctuation */
    {0x0589, 0x058A, CL_SEP},
    {0x05BE, 0x05BE, CL_SEP}, /* Hebrew punctuation */
    {0x05C0, 0x05C0, CL_SEP},
    {0x05C3, 0x05C3, CL_SEP},
    {0x05C6, 0x05C6, CL_SEP},
    {0x05F3, 0x05F4, CL_SEP},
    {0x0600, 0x060F, CL_SEP}, /* Arabic signs and punctuation */
    {0x061B, 0x061F, CL_SEP},
    {0x066A, 0x066D, CL_SEP},
    {0x06D4, 0x06D4, CL_SEP},
    {0x0964, 0x0965, CL_SEP},    /* Devanagari danda */
    {0x1680, 0x1680, CL_SEP},    /* Ogham space */
    {0x1AB0, 0x1AFF, CL_IGNORE}, /* combining diacritical marks */
    {0x1DC0, 0x1DFF, CL_IGNORE},
    {0x2000, 0x200B, CL_SEP},    /* spaces */
    {0x200C, 0x200F, CL_IGNORE}, /* joiners, direction marks */
    {0x2010, 0x205F, CL_SEP},    /* general punctuation */
    {0x2060, 0x206F, CL_IGNORE}, /* word joiner, invisible operators */
    {0x2070, 0x20CF, CL_SEP},    /* super- and subscripts, currency */
    {0x20D0, 0x20FF, CL_IGNORE}, /* combining marks for symbols */
    {0x2100, 0x2BFF, CL_SEP},    /* letterlike symbols to arrows */
    {0x2E00, 0x2E7F, CL_SEP},    /* supplemental punctuation */
    {0x3000, 0x3004, CL_SEP},    /* CJK symbols and punctuation */
    {0x3008, 0x3020, CL_SEP},
    {0x302A, 0x302F, CL_IGNORE},
    {0x3030, 0x3030, CL_SEP},
    {0x3036, 0x3037, CL_SEP},
    {0x303D, 0x303F, CL_SEP},
    {0x30FB, 0x30FB, CL_SEP},    /* katakana middle dot */
    {0xD800, 0xF8FF, CL_SEP},    /* private use */
    {0xFE00, 0xFE0F, CL_IGNORE}, /* variation selectors */
    {0xFE10, 0xFE1F, CL_SEP},    /* vertical forms */
    {0xFE20, 0xFE2F, CL_IGNORE}, /* combining half marks */
    {0xFE30, 0xFE6F, CL_SEP},    /* CJK compatibility and small forms */
    {0xFEFF, 0xFEFF, CL_IGNORE}, /* byte order mark */
    {0xFF00, 0xFF00, CL_SEP},
    {0xFF5F, 0xFF65, CL_SEP},      /* half- and fullwidth punctuation */
    {0xFFE0, 0xFFFF, CL_SEP},      /* fullwidth symbols, specials */
    {0x1D000, 0x1D24F, CL_SEP},    /* musical symbols */
    {0x1D400, 0x1D7FF, CL_SEP},    /* mathematical alphanumerics */
    {0x1F000, 0x1FBFF, CL_SEP},    /* emoji, pictographs, other symbols */
    {0xE0000, 0xE0FFF, CL_IGNORE}, /* tags, variation selectors */
    {0xF0000, 0x10FFFF, CL_SEP},   /* private use */
};

static int fold_latin(char c, char *out)
{
	if (c >= 'a') {
		out[0] = c;
		return 1;
	}
	if (c == ' ')
		return CL_SEP;
	memcpy(out, multi_tab[c - 'A'], 2);
	return 2;
}

static int fold_coded(unsigned v, char *out)
{
	if (v <= 1)
		return v == 0 ? CL_SEP : CL_IGNORE;
	out[0] = (char)(0xC0 | (v >> 6));
	out[1] = (char)(0x80 | (v & 0x3F));
	return 2;
}

/* The folded form of cp (from U+0080 up) in out[0..3]: its length, or one of
 * CL_SEP, CL_IGNORE and CL_KEEP. */
static int fold_cp(uint32_t cp, char *out)
{
	if (cp < 0xC0)
		return cp == 0xAD ? CL_IGNORE : CL_SEP; /* the soft hyphen */
	if (cp < 0x2B0)
		return fold_latin(latin_tab[cp - 0xC0], out);
	if (cp < 0x300)
		return CL_SEP; /* spacing modifier letters */
	if (cp < 0x370)
		return CL_IGNORE; /* combining diacritical marks */
	if (cp < 0x500)
		return fold_coded(greek_cyr_tab[cp - 0x370], out);
	if (cp >= 0x1E00 && cp < 0x1F00)
		return fold_latin(latin_ext_tab[cp - 0x1E00], out);
	if (cp >= 0x1F00 && cp < 0x2000)
		return fold_coded(greek_ext_tab[cp - 0x1F00], out);
	if (cp >= 0xFB00 && cp <= 0xFB06) {
		const char *l = lig_tab[cp - 0xFB00];
		size_t n = strlen(l);
		memcpy(out, l, n);
		return (int)n;
	}
	if (cp >= 0xFF01 && cp <= 0xFF5E) { /* fullwidth ASCII */
		char c = ascii_tab[cp - 0xFEE0];
		if (c == ' ')
			return CL_SEP;
		out[0] = c;
		return 1;
	}
	size_t lo = 0, hi = sizeof(span_tab) / sizeof(span_tab[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < span_tab[mid].lo)
			hi = mid;
		else if (cp > span_tab[mid].hi)
			lo = mid + 1;
		else
			return span_tab[mid].cl;
	}
	return CL_KEEP;
}

#define CP_INVALID UINT32_MAX

/* Decodes the UTF-8 sequence at p (n > 0 bytes available, p[0] >= 0x80)
 * into *cp and returns its length. An invalid byte (a stray continuation
 * byte, an overlong or truncated sequence, a surrogate, a code point past
 * U+10FFFF) gives CP_INVALID and length 1. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned b = p[0];
	if (b >= 0xC2 && b < 0xE0) {
		if (n >= 2 && (p[1] & 0xC0) == 0x80) {
			*cp = (uint32_t)(b & 0x1F) << 6 | (p[1] & 0x3F);
			return 2;
		}
	} else if (b >= 0xE0 && b < 0xF0) {
		if (n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
			uint32_t c = (uint32_t)(b & 0x0F) << 12 |
			             (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
			if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
				*cp = c;
				return 3;
			}
		}
	} else if (b >= 0xF0 && b < 0xF5) {
		if (n >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
		    (p[3] & 0xC0) == 0x80) {
			uint32_t c = (uint32_t)(b & 0x07) << 18 |
			             (uint32_t)(p[1] & 0x3F) << 12 |
			             (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
			if (c >= 0x10000 && c <= 0x10FFFF) {
				*cp = c;
				return 4;
			}
		}
	}
	*cp = CP_INVALID;
	return 1;
}

/* A token being built: the folded bytes, and for a token with ä, ö or ü the
 * German spelling with ae, oe, ue. Each stops growing at its limit, which
 * drops to the current length when a character does not fit, so a token is
 * cut at a character boundary. Characters are copied 4 bytes at a time, so
 * the buffers have room for 3 bytes past the longest token and a NUL. */
typedef struct tok {
	size_t start, end;
	size_t n, lim;
	size_t altn, altlim;
	bool has_alt;
	char buf[ECCP_TEXT_TOKEN_MAX + 4];
	char alt[ECCP_TEXT_TOKEN_MAX + 4];
} tok;

/* Called for each token; a non-zero return ends the scan with that value. */
typedef int (*tok_fn)(void *ctx, tok *t);

/* Appends the k bytes (k <= 4) of the character c. */
static inline void put(char *buf, size_t *n, size_t *lim, const char c[4], size_t k)
{
	if (*n + k <= *lim) {
		memcpy(buf + *n, c, 4);
		*n += k;
	} else {
		*lim = *n;
	}
}

static inline void put_both(tok *t, const char c[4], size_t k)
{
	put(t->buf, &t->n, &t->lim, c, k);
	if (t->has_alt)
		put(t->alt, &t->altn, &t->altlim, c, k);
}

/* Folds the ASCII letters and digits p[0..k) into buf. */
static inline void put_ascii(char *buf, size_t *n, size_t lim, const unsigned char *p,
                             size_t k)
{
	if (k > lim - *n)
		k = lim - *n;
	char *d = buf + *n;
	for (size_t i = 0; i < k; i++)
		d[i] = ascii_tab[p[i]];
	*n += k;
}

static inline void alt_start(tok *t)
{
	if (t->has_alt)
		return;
	memcpy(t->alt, t->buf, t->n);
	t->altn = t->n;
	t->altlim = t->lim;
	t->has_alt = true;
}

static inline void tok_begin(tok *t, size_t start)
{
	t->start = start;
	t->n = 0;
	t->lim = ECCP_TEXT_TOKEN_MAX;
	t->has_alt = false;
}

static int tok_end(tok *t, size_t end, tok_fn fn, void *ctx)
{
	t->end = end;
	t->buf[t->n] = '\0';
	if (t->has_alt) {
		t->alt[t->altn] = '\0';
		if (t->altn == t->n && memcmp(t->alt, t->buf, t->n) == 0)
			t->has_alt = false; /* the difference was cut off */
	}
	return fn(ctx, t);
}

static inline bool is_aou(unsigned char c)
{
	return c == 'a' || c == 'o' || c == 'u';
}

static int scan(const char *text, size_t len, tok_fn fn, void *ctx)
{
	const unsigned char *s = (const unsigned char *)text;
	tok t;
	bool in = false;
	/* The last letter was a plain a, o or u: a combining diaeresis after it
	 * makes it ä, ö or ü. */
	bool umlaut = false;
	size_t i = 0;
	int rc;
	while (i < len) {
		if (s[i] < 0x80) {
			if (ascii_tab[s[i]] == ' ') {
				if (in) {
					in = false;
					if ((rc = tok_end(&t, i, fn, ctx)) != 0)
						return rc;
				}
				i++;
				continue;
			}
			if (!in) {
				tok_begin(&t, i);
				in = true;
			}
			size_t j = i + 1;
			while (j < len && s[j] < 0x80 && ascii_tab[s[j]] != ' ')
				j++;
			put_ascii(t.buf, &t.n, t.lim, s + i, j - i);
			if (t.has_alt)
				put_ascii(t.alt, &t.altn, t.altlim, s + i, j - i);
			umlaut = is_aou((unsigned char)ascii_tab[s[j - 1]]);
			i = j;
			continue;
		}
		uint32_t cp;
		size_t clen = utf8_decode(s + i, len - i, &cp);
		char out[4] = {0};
		int k = cp == CP_INVALID ? CL_SEP : fold_cp(cp, out);
		if (k == CL_SEP) {
			if (in) {
				in = false;
				if ((rc = tok_end(&t, i, fn, ctx)) != 0)
					return rc;
			}
		} else if (k == CL_IGNORE) {
			if (in && umlaut && cp == 0x308) {
				alt_start(&t);
				put(t.alt, &t.altn, &t.altlim, "e\0\0", 1);
			}
			umlaut = false;
		} else {
			if (!in) {
				tok_begin(&t, i);
				in = true;
			}
			if (k == CL_KEEP) {
				for (size_t b = 0; b < clen; b++)
					out[b] = (char)s[i + b];
				put_both(&t, out, clen);
			} else if ((cp | 0x20) == 0xE4 || (cp | 0x20) == 0xF6 ||
			           (cp | 0x20) == 0xFC) {
				char ae[4] = {out[0], 'e', 0, 0};
				alt_start(&t);
				put(t.buf, &t.n, &t.lim, out, 1);
				put(t.alt, &t.altn, &t.altlim, ae, 2);
			} else {
				put_both(&t, out, (size_t)k);
			}
			umlaut = false;
		}
		i += clen;
	}
	if (in)
		return tok_end(&t, len, fn, ctx);
	return 0;
}

/* ---- C API --------------------------------------------------------------- */

typedef struct fold_ctx {
	char *out;
	size_t cap, len;
} fold_ctx;

static int fold_tok(void *arg, tok *t)
{
	fold_ctx *f = arg;
	size_t sep = f->len > 0;
	if (f->len + sep + t->n >= f->cap)
		return 1;
	if (sep)
		f->out[f->len++] = ' ';
	memcpy(f->out + f->len, t->buf, t->n);
	f->len += t->n;
	return 0;
}

size_t eccp_text_fold(const char *s, char *out, size_t cap)
{
	if (cap == 0)
		return 0;
	fold_ctx f = {.out = out, .cap = cap};
	if (s != NULL)
		scan(s, strlen(s), fold_tok, &f);
	out[f.len] = '\0';
	return f.len;
}

typedef struct cb_ctx {
	void (*cb)(void *arg, const char *tok, size_t n, size_t start, size_t end);
	void *arg;
	size_t count;
} cb_ctx;

static int cb_tok(void *arg, tok *t)
{
	cb_ctx *c = arg;
	c->count++;
	if (c->cb != NULL)
		c->cb(c->arg, t->buf, t->n, t->start, t->end);
	return 0;
}

size_t eccp_text_tokens(const char *s, size_t len,
                        void (*cb)(void *arg, const char *tok, size_t n, size_t start,
                                   size_t end),
                        void *arg)
{
	cb_ctx c = {.cb = cb, .arg = arg};
	if (s != NULL)
		scan(s, len, cb_tok, &c);
	return c.count;
}

/* ---- FTS5 tokenizer ------------------------------------------------------ */

typedef struct fts_ctx {
	void *pctx;
	int flags;
	int (*xtoken)(void *pctx, int tflags, const char *tok, int n, int start, int end);
} fts_ctx;

static int fts_tok(void *arg, tok *t)
{
	fts_ctx *c = arg;
	int rc = c->xtoken(c->pctx, 0, t->buf, (int)t->n, (int)t->start, (int)t->end);
	if (rc == SQLITE_OK && t->has_alt && (c->flags & FTS5_TOKENIZE_DOCUMENT))
		rc = c->xtoken(c->pctx, FTS5_TOKEN_COLOCATED, t->alt, (int)t->altn,
		               (int)t->start, (int)t->end);
	return rc;
}

/* The tokenizer has no state: every instance is this one. */
static char fts_instance;

static int fts_create(void *pctx, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)pctx;
	(void)args;
	*out = NULL;
	if (nargs > 0)
		return SQLITE_ERROR;
	*out = (Fts5Tokenizer *)(void *)&fts_instance;
	return SQLITE_OK;
}

static void fts_delete(Fts5Tokenizer *t)
{
	(void)t;
}

static int fts_tokenize(Fts5Tokenizer *t, void *pctx, int flags, const char *text,
                        int len,
                        int (*xtoken)(void *pctx, int tflags, const char *tok, int n,
                                      int start, int end))
{
	(void)t;
	if (text == NULL || len <= 0)
		return SQLITE_OK;
	fts_ctx c = {.pctx = pctx, .flags = flags, .xtoken = xtoken};
	return scan(text, (size_t)len, fts_tok, &c);
}

static fts5_tokenizer fts_module = {fts_create, fts_delete, fts_tokenize};

int eccp_text_register(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	rc = sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	if (api == NULL || api->iVersion < 2)
		return SQLITE_ERROR;
	void *found_ctx = NULL;
	fts5_tokenizer found;
	if (api->xFindTokenizer(api, "eccp", &found_ctx, &found) == SQLITE_OK &&
	    found.xCreate == fts_create)
		return SQLITE_OK;
	return api->xCreateTokenizer(api, "eccp", NULL, &fts_module, NULL);
}
