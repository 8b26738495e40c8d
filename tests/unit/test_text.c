#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Folds s and checks the result against want. */
static void fold_is(const char *s, const char *want)
{
	char out[512];
	size_t n = eccp_text_fold(s, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("fold \"%s\": \"%s\", want \"%s\"", s, out, want);
	assert_int_equal(n, strlen(want));
}

static void test_fold_words(void **state)
{
	(void)state;
	fold_is("Veranstaltung", "veranstaltung");
	fold_is("Clusterwochen 2019", "clusterwochen 2019");
	fold_is("Café Øresund Łódź Straße Ærø Œuvre Þór Đakovo",
	        "cafe oresund lodz strasse aero oeuvre thor dakovo");
	fold_is("Čeština, Gdańsk, Győr, Příbram, Kırşehir, Timișoara, Ağrı",
	        "cestina gdansk gyor pribram kirsehir timisoara agri");
	fold_is("Ħamrun Ŀleida ŧ ĳssel ẞ MÜNCHEN Ålesund Jyväskylä",
	        "hamrun lleida t ijssel ss munchen alesund jyvaskyla");
	fold_is("EU Cluster Weeks — Kick-off!", "eu cluster weeks kick off");
	fold_is("  «R&D»  ·  10×20 ÷ 5 … ¿qué?  ", "r d 10 20 5 que");
	fold_is("d'Azur l’Europe", "d azur l europe");
}

static void test_fold_greek_cyrillic(void **state)
{
	(void)state;
	fold_is("Ελλάδα", "ελλαδα");
	fold_is("ΟΔΥΣΣΕΎΣ Οδυσσεύς", "οδυσσευσ οδυσσευσ");
	fold_is("Ἀθῆναι", "αθηναι");
	fold_is("България", "българия");
	fold_is("Ёлка ЁЛКА", "елка елка");
	fold_is("Київ Беларусь", "київ беларусь");
}

/* Text as it comes from other systems: decomposed accents, soft hyphens,
 * PDF ligatures, fullwidth letters, emoji and other scripts. */
static void test_fold_mixed_sources(void **state)
{
	(void)state;
	fold_is("Mu\xcc\x88nchen Cafe\xcc\x81", "munchen cafe");
	fold_is("Veran\xc2\xadstaltung", "veranstaltung");
	fold_is("\xef\xac\x81nance e\xef\xac\x83"
	        "cient",
	        "finance efficient");
	fold_is("\xef\xbc\xa5\xef\xbc\xb5 2024", "eu 2024");
	fold_is("Cluster\xf0\x9f\x9a\x80Weeks \xf0\x9f\x87\xaa\xf0\x9f\x87\xba",
	        "cluster weeks");
	fold_is("\xef\xbb\xbfStart", "start");
	fold_is("東京、大阪 Tokyo", "東京 大阪 tokyo");
	fold_is("שלום עולם", "שלום עולם");
}

static bool is_ascii_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 'a' || *s > 'z')
			return false;
	return true;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (char)(0xE0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Every letter from U+00C0 to U+02AF and from U+1E00 to U+1EFF folds to
 * plain lower-case ASCII, a capital the same as its small letter. The only
 * code points there that separate instead are ×, ÷ and the glottal stops,
 * pharyngeals and clicks that are written as an apostrophe. */
static void test_fold_every_latin_letter(void **state)
{
	(void)state;
	static const uint32_t seps[] = {0xD7,  0xF7,  0x241, 0x242, 0x294, 0x295,
	                                0x296, 0x298, 0x2A1, 0x2A2, 0x2AC, 0x2AD};
	static const uint32_t ranges[][2] = {{0xC0, 0x2AF}, {0x1E00, 0x1EFF}};
	for (size_t r = 0; r < 2; r++) {
		for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
			char in[4] = {0};
			char out[16];
			utf8_encode(cp, in);
			eccp_text_fold(in, out, sizeof(out));
			bool sep = false;
			for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++)
				sep = sep || seps[i] == cp;
			if (sep ? out[0] != '\0' : !is_ascii_word(out))
				fail_msg("U+%04X folds to \"%s\"", (unsigned)cp, out);
		}
	}
	fold_is("ÀÉÎÕÜÇÑÅ àéîõüçñå", "aeioucna aeioucna");
	fold_is("ĄĆĘŁŃÓŚŹŻ ąćęłńóśźż", "acelnoszz acelnoszz");
	fold_is("ŐŰ őű ȘȚ șț ǅ ǈ ǋ", "ou ou st st dz lj nj");
}

/* Bytes that are not UTF-8 separate tokens; nothing is read past len. */
static void test_fold_invalid_utf8(void **state)
{
	(void)state;
	fold_is("abc\xff"
	        "def",
	        "abc def");
	fold_is("abc\x80\xbf"
	        "def",
	        "abc def");
	fold_is("over\xc0\xaflong", "over long");
	fold_is("sur\xed\xa0\x80rogate", "sur rogate");
	fold_is("big\xf4\x90\x80\x80"
	        "cp",
	        "big cp");
	fold_is("cut\xc3", "cut");
	fold_is("cut\xe2\x82", "cut");
	fold_is("\xc3\xa9\xc3", "e");

	/* A sequence cut by len: the buffer ends inside "é". */
	static const char src[] = "ab\xc3\xa9";
	char *heap = malloc(3);
	assert_non_null(heap);
	memcpy(heap, src, 3);
	assert_int_equal(eccp_text_tokens(heap, 3, NULL, NULL), 1);
	free(heap);
}

static void test_fold_empty(void **state)
{
	(void)state;
	char out[8] = "x";
	assert_int_equal(eccp_text_fold("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	fold_is(" ,.;!? — … ", "");
	assert_int_equal(eccp_text_fold(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(eccp_text_tokens("", 0, NULL, NULL), 0);
	assert_int_equal(eccp_text_tokens(" - ", 3, NULL, NULL), 0);
}

/* A too small buffer gets the whole tokens that fit, never half a token. */
static void test_fold_truncation(void **state)
{
	(void)state;
	const char *s = "Alpha Beta Gamma";
	char out[32];
	memset(out, 'x', sizeof(out));
	assert_int_equal(eccp_text_fold(s, out, 17), 16);
	assert_string_equal(out, "alpha beta gamma");
	assert_int_equal(eccp_text_fold(s, out, 16), 10);
	assert_string_equal(out, "alpha beta");
	assert_int_equal(eccp_text_fold(s, out, 11), 10);
	assert_string_equal(out, "alpha beta");
	assert_int_equal(eccp_text_fold(s, out, 10), 5);
	assert_string_equal(out, "alpha");
	assert_int_equal(eccp_text_fold(s, out, 5), 0);
	assert_string_equal(out, "");
	out[0] = 'x';
	assert_int_equal(eccp_text_fold(s, out, 0), 0);
	assert_int_equal(out[0], 'x');
	/* Multi-byte folding: "Øre" folds to 3 bytes from 4. */
	assert_int_equal(eccp_text_fold("Øre sund", out, 4), 3);
	assert_string_equal(out, "ore");
}

typedef struct tok_rec {
	char tok[ECCP_TEXT_TOKEN_MAX + 1];
	size_t n, start, end;
} tok_rec;

typedef struct tok_list {
	tok_rec t[16];
	size_t n;
} tok_list;

static void collect(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	tok_list *l = arg;
	assert_true(l->n < 16);
	assert_int_equal(strlen(tok), n);
	memcpy(l->t[l->n].tok, tok, n + 1);
	l->t[l->n].n = n;
	l->t[l->n].start = start;
	l->t[l->n].end = end;
	l->n++;
}

static tok_list tokens_of(const char *s)
{
	tok_list l = {.n = 0};
	size_t n = eccp_text_tokens(s, strlen(s), collect, &l);
	assert_int_equal(n, l.n);
	return l;
}

static void tok_is(const tok_list *l, size_t i, const char *tok, size_t start, size_t end)
{
	assert_true(i < l->n);
	assert_string_equal(l->t[i].tok, tok);
	assert_int_equal(l->t[i].start, start);
	assert_int_equal(l->t[i].end, end);
}

/* Offsets are byte offsets into the original text and cover the whole word,
 * its accents included. */
static void test_tokens_offsets(void **state)
{
	(void)state;
	tok_list l = tokens_of("Café Øresund, Łódź! e\xcc\x81t\xc3\xa9");
	assert_int_equal(l.n, 4);
	tok_is(&l, 0, "cafe", 0, 5);
	tok_is(&l, 1, "oresund", 6, 14);
	tok_is(&l, 2, "lodz", 16, 23);
	tok_is(&l, 3, "ete", 25, 31);
}

/* Long tokens are cut to ECCP_TEXT_TOKEN_MAX bytes at a character boundary;
 * the offsets still cover the whole word. */
static void test_tokens_long(void **state)
{
	(void)state;
	char s[256];
	memset(s, 'A', 100);
	strcpy(s + 100, " b");
	tok_list l = tokens_of(s);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.t[0].n, 64);
	assert_int_equal(l.t[0].end, 100);
	assert_int_equal(strspn(l.t[0].tok, "a"), 64);
	tok_is(&l, 1, "b", 101, 102);

	/* 40 "α" (two bytes each): 32 of them. */
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(s + n, "Α");
	l = tokens_of(s);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.t[0].n, 64);
	assert_int_equal(l.t[0].end, 80);
	assert_memory_equal(l.t[0].tok, "αααα", 8);

	/* "a" then Greek: 63 bytes, no half character, and nothing after the
	 * character that did not fit. */
	n = (size_t)sprintf(s, "a");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(s + n, "α");
	sprintf(s + n, "z");
	l = tokens_of(s);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.t[0].n, 63);
	assert_int_equal(l.t[0].tok[62] & 0xC0, 0x80);
	assert_int_equal(l.t[0].end, n + 1);

	/* The same through eccp_text_fold. */
	char out[128];
	memset(s, 'x', 70);
	s[70] = '\0';
	assert_int_equal(eccp_text_fold(s, out, sizeof(out)), 64);
}

/* ---- FTS5 ---------------------------------------------------------------- */

static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(eccp_text_register(db), SQLITE_OK);
	return db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static const char *const rows[][2] = {
    {"Clusterwochen in München", "Treffen der Cluster in Bayern"},
    {"Łódź Industrial Cluster", "Textiles and logistics"},
    {"Øresund Food Network", "Food cluster across the Øresund region"},
    {"Veranstaltung: Wasserstoff-Tag", "Ein Tag zum Wasserstoff"},
    {"Straßenbau cluster", "Roads and bridges"},
    {"Munchen Startup Day", "Written without the umlaut"},
    {"Ελληνικό Δίκτυο Καινοτομίας", "Μέλη από την Ελλάδα και τη България"},
};

static sqlite3 *open_catalog(void)
{
	sqlite3 *db = open_db();
	exec_ok(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='eccp')");
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "INSERT INTO t (rowid, title, body)"
	                                    " VALUES (?1, ?2, ?3)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return db;
}

/* The rowids that match q, as "1,3", or "" for none. */
static void matches_are(sqlite3 *db, const char *q, const char *want)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT rowid FROM t WHERE t MATCH ?1"
	                                    " ORDER BY rowid",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
	char got[128] = "";
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%lld", n ? "," : "",
		                      (long long)sqlite3_column_int64(st, 0));
	if (rc != SQLITE_DONE)
		fail_msg("MATCH '%s': %s", q, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (strcmp(got, want) != 0)
		fail_msg("MATCH '%s': rows \"%s\", want \"%s\"", q, got, want);
}

static void test_fts_match(void **state)
{
	(void)state;
	sqlite3 *db = open_catalog();
	matches_are(db, "lodz", "2");
	matches_are(db, "łódź", "2");
	matches_are(db, "LODZ", "2");
	matches_are(db, "Łódź", "2");
	matches_are(db, "oresund", "3");
	matches_are(db, "øresund", "3");
	matches_are(db, "strassenbau", "5");
	matches_are(db, "straßenbau", "5");
	matches_are(db, "veranst*", "4");
	matches_are(db, "\"industrial cluster\"", "2");
	matches_are(db, "wasserstoff", "4");
	matches_are(db, "tag", "4");
	matches_are(db, "cluster", "1,2,3,5");
	matches_are(db, "clusterwochen", "1");
	matches_are(db, "ελληνικο", "7");
	matches_are(db, "ΕΛΛΑΔΑ", "7");
	matches_are(db, "болгария", "");
	matches_are(db, "БЪЛГАРИЯ", "7");
	matches_are(db, "title:food", "3");
	matches_are(db, "body:food", "3");
	matches_are(db, "title:roads", "");
	sqlite3_close(db);
}

/* A document with ü is found by München, Munchen and Muenchen; one that
 * was written Munchen is not found by Muenchen. */
static void test_fts_german_spellings(void **state)
{
	(void)state;
	sqlite3 *db = open_catalog();
	matches_are(db, "munchen", "1,6");
	matches_are(db, "münchen", "1,6");
	matches_are(db, "MÜNCHEN", "1,6");
	matches_are(db, "muenchen", "1");
	matches_are(db, "\"in muenchen\"", "1");
	matches_are(db, "\"in munchen\"", "1");
	matches_are(db, "münch*", "1,6");
	matches_are(db, "muench*", "1");
	matches_are(db, "NEAR(clusterwochen muenchen, 1)", "1");
	sqlite3_close(db);
}

/* highlight() uses the offsets the tokenizer reports: the marks land
 * around the original words, accents and all. */
static void test_fts_highlight(void **state)
{
	(void)state;
	sqlite3 *db = open_catalog();
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT highlight(t, 0, '[', ']') FROM t"
	                                    " WHERE t MATCH ?1 ORDER BY rowid",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	static const char *const cases[][2] = {
	    {"lodz", "[Łódź] Industrial Cluster"},
	    {"muenchen", "Clusterwochen in [München]"},
	    {"ελληνικο", "[Ελληνικό] Δίκτυο Καινοτομίας"},
	    {"strassenbau", "[Straßenbau] cluster"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sqlite3_bind_text(st, 1, cases[i][0], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		                    cases[i][1]);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_fts_rejects_arguments(void **state)
{
	(void)state;
	sqlite3 *db = open_db();
	char *err = NULL;
	assert_int_not_equal(sqlite3_exec(db,
	                                  "CREATE VIRTUAL TABLE x USING fts5(a,"
	                                  " tokenize='eccp remove_diacritics 1')",
	                                  NULL, NULL, &err),
	                     SQLITE_OK);
	assert_non_null(err);
	sqlite3_free(err);
	exec_ok(db, "CREATE VIRTUAL TABLE y USING fts5(a, tokenize='eccp')");
	sqlite3_close(db);
}

/* Registering again, on the same or another connection, works and leaves
 * one working tokenizer. */
static void test_register_idempotent(void **state)
{
	(void)state;
	sqlite3 *db = open_db();
	assert_int_equal(eccp_text_register(db), SQLITE_OK);
	assert_int_equal(eccp_text_register(db), SQLITE_OK);
	exec_ok(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='eccp');"
	            "INSERT INTO t (rowid, title) VALUES (1, 'Łódź');");
	matches_are(db, "lodz", "1");
	sqlite3 *other = open_db();
	assert_int_equal(eccp_text_register(other), SQLITE_OK);
	sqlite3_close(other);
	matches_are(db, "LODZ", "1");
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fold_words),
	    cmocka_unit_test(test_fold_greek_cyrillic),
	    cmocka_unit_test(test_fold_mixed_sources),
	    cmocka_unit_test(test_fold_every_latin_letter),
	    cmocka_unit_test(test_fold_invalid_utf8),
	    cmocka_unit_test(test_fold_empty),
	    cmocka_unit_test(test_fold_truncation),
	    cmocka_unit_test(test_tokens_offsets),
	    cmocka_unit_test(test_tokens_long),
	    cmocka_unit_test(test_fts_match),
	    cmocka_unit_test(test_fts_german_spellings),
	    cmocka_unit_test(test_fts_highlight),
	    cmocka_unit_test(test_fts_rejects_arguments),
	    cmocka_unit_test(test_register_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
