/* Text folding and the "eccp" FTS5 tokenizer on any bytes: never a crash,
 * tokens within the text and at most 64 bytes of valid UTF-8, and a document
 * is always found again by a phrase of its own folded words (what search does
 * with what a user types). */
#include "text.h"
#include "util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct tok_check {
	size_t len;
} tok_check;

static void check_token(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	const tok_check *c = arg;
	if (n == 0 || n > ECCP_TEXT_TOKEN_MAX || !eccp_utf8_valid(tok, n) ||
	    start >= end || end > c->len)
		abort();
}

static sqlite3 *fuzz_db(void)
{
	static sqlite3 *db;
	if (db != NULL)
		return db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    eccp_text_register(db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(a, tokenize='eccp')",
	                 NULL, NULL, NULL) != SQLITE_OK)
		abort();
	return db;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s); /* up to the first NUL, as C strings are */

	tok_check c = {len};
	eccp_text_tokens(s, len, check_token, &c);

	/* Folding into buffers of every small size stays inside them. */
	char small[17];
	for (size_t cap = 0; cap <= sizeof(small); cap++) {
		size_t n = eccp_text_fold(s, small, cap);
		if (cap > 0 && (n >= cap || small[n] != '\0'))
			abort();
	}
	char *folded = malloc(len + 2);
	if (folded == NULL) {
		free(s);
		return 0;
	}
	size_t n = eccp_text_fold(s, folded, len + 2);

	sqlite3 *db = fuzz_db();
	sqlite3_stmt *ins = NULL, *q = NULL;
	sqlite3_exec(db, "DELETE FROM t", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT INTO t (a) VALUES (?1)", -1, &ins, NULL) !=
	    SQLITE_OK)
		abort();
	sqlite3_bind_text(ins, 1, s, (int)len, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		abort();
	sqlite3_finalize(ins);
	if (n > 0 && n < 2000) {
		char *match = malloc(n + 3);
		if (match != NULL) {
			match[0] = '"';
			memcpy(match + 1, folded, n);
			match[n + 1] = '"';
			match[n + 2] = '\0';
			if (sqlite3_prepare_v2(db,
			                       "SELECT count(*) FROM t WHERE t MATCH ?1",
			                       -1, &q, NULL) != SQLITE_OK)
				abort();
			sqlite3_bind_text(q, 1, match, -1, SQLITE_STATIC);
			if (sqlite3_step(q) != SQLITE_ROW ||
			    sqlite3_column_int(q, 0) != 1) {
				fprintf(stderr, "not found by its own words: %s\n",
				        match);
				abort();
			}
			sqlite3_finalize(q);
			free(match);
		}
	}
	free(folded);
	free(s);
	return 0;
}
