/* Text folding for search: the same tokens and the same folding for the
 * FTS5 index (the tokenizer "eccp") and for C code that matches keywords.
 *
 * Tokens are runs of letters and digits. Latin letters fold to lower-case
 * ASCII without diacritics (é -> e, ø -> o, ł -> l, ß -> ss, æ -> ae, þ -> th),
 * Greek to lower case without accents (final sigma as sigma), Cyrillic to
 * lower case (ё -> е). Letters of other scripts are kept unchanged.
 * Punctuation, symbols, emoji and invalid UTF-8 bytes separate tokens;
 * combining marks, the soft hyphen and zero-width joiners are skipped. A
 * folded token is cut to ECCP_TEXT_TOKEN_MAX bytes.
 *
 * When indexing, the tokenizer also gives a token that contains ä, ö or ü
 * the German spelling ae, oe, ue at the same position: a document with
 * "München" matches both 'munchen' and 'muenchen' (and 'münchen'), while one
 * with "Munchen" does not match 'muenchen'. */
#ifndef ECCP_TEXT_H
#define ECCP_TEXT_H

#include <sqlite3.h>
#include <stddef.h>

/* The longest folded token, in bytes. */
#define ECCP_TEXT_TOKEN_MAX 64

/* Registers the FTS5 tokenizer "eccp" on db. 0 or an SQLite error code.
 * Idempotent per connection. The tokenizer takes no arguments. */
int eccp_text_register(sqlite3 *db);

/* Folds s (valid UTF-8) into out: the tokens of s, folded, separated by
 * single spaces. Returns the length written (always NUL-terminated when cap
 * > 0, truncated at a token boundary when cap is too small). The output is
 * at most strlen(s) + 1 bytes long, NUL included. */
size_t eccp_text_fold(const char *s, char *out, size_t cap);

/* Calls cb (if not NULL) for each folded token of s[0..len): its bytes
 * (NUL-terminated, valid until cb returns), its length, and the byte offsets
 * of the token in s. Returns the number of tokens. */
size_t eccp_text_tokens(const char *s, size_t len,
                        void (*cb)(void *arg, const char *tok, size_t n, size_t start,
                                   size_t end),
                        void *arg);

#endif
