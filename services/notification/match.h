/* The subscription matching index of the notification daemon: which
 * subscriptions want to be told about a newly published item.
 *
 * The rule (nf_filter_matches): an item matches a filter when
 *   - its kind is one of the filter's kinds (calls only when kinds is empty);
 *   - for each of ecosystems, technologies, countries and programmes that the
 *     filter lists, the item has at least one of the listed values
 *     (ecosystems compare as numbers; the others compare after folding with
 *     eccp_text_fold, so case and diacritics do not matter: "Horizon Europe"
 *     is "horizon europe", "Łódź" is "lodz", "de" is "DE");
 *   - when the filter lists keywords, one of them occurs in the item's text
 *     with the catalog's search rules: every word of the keyword (a word or a
 *     phrase) is a word of the text, case and diacritics folded, whole words
 *     only ("hydro" is not found in "hydrogen");
 *   - when min_budget_eur > 0, the item is a call with a known budget of at
 *     least that much.
 * A value that folds to nothing (only punctuation, say) matches nothing, and
 * so does a keyword without a word.
 *
 * The index holds any number of subscriptions (100,000 is the scale it is
 * made for) and finds the matching ones for an item with work that follows
 * the number of matches rather than the number of subscriptions: each
 * subscription is filed under the values of one anchor dimension, the first
 * the filter lists in the order programmes, keywords, technologies,
 * countries, ecosystems, kinds (a keyword is filed under its longest word),
 * once for each kind of content it wants, and an item looks up only its own
 * values under its own kind and checks the subscriptions it finds there
 * with the full rule.
 *
 * An index is not thread-safe: one thread at a time. */
#ifndef ECCP_NF_MATCH_H
#define ECCP_NF_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Content kinds, as eccp.v1.ContentKind. */
enum {
	NF_KIND_CLUSTER = 1,
	NF_KIND_NEWS = 2,
	NF_KIND_EVENT = 3,
	NF_KIND_CALL = 4,
};

/* A subscription's filter. Every list may be empty (NULL, 0); strings are
 * UTF-8, a NULL string counts as "". */
typedef struct nf_filter {
	const int *kinds; /* NF_KIND_*; empty: calls only */
	size_t n_kinds;
	const int *ecosystems; /* 1..14 */
	size_t n_ecosystems;
	const char *const *technologies;
	size_t n_technologies;
	const char *const *countries; /* ISO 3166-1 alpha-2 */
	size_t n_countries;
	const char *const *programmes;
	size_t n_programmes;
	const char *const *keywords; /* each a word or a phrase */
	size_t n_keywords;
	int64_t min_budget_eur; /* 0: any */
} nf_filter;

/* What is matched: one content item. */
typedef struct nf_item {
	int kind; /* NF_KIND_* */
	const int *ecosystems;
	size_t n_ecosystems;
	const char *const *technologies;
	size_t n_technologies;
	const char *const *countries;
	size_t n_countries;
	const char *programme; /* NULL or "": none */
	const char *text;      /* title, summary, body and keywords; NULL: none */
	int64_t budget_eur;    /* 0 (or less): unknown */
} nf_item;

typedef struct nf_index nf_index;

/* A new empty index, or NULL when out of memory. */
nf_index *nf_index_new(void);

/* Frees the index and everything it holds. NULL is allowed. */
void nf_index_free(nf_index *x);

/* Adds subscription id with filter f, replacing the one with that id if there
 * is one. The index keeps its own copy of what it needs from f. Returns 0, or
 * -1 when out of memory (the index is then as it was). */
int nf_index_add(nf_index *x, uint64_t id, const nf_filter *f);

/* Removes subscription id. Returns whether it was there. */
bool nf_index_remove(nf_index *x, uint64_t id);

/* The number of subscriptions in the index. */
size_t nf_index_count(const nf_index *x);

/* Calls fn(arg, id) once for each subscription whose filter matches it, in
 * no particular order, and returns the number of matches. fn may be NULL (the
 * matches are only counted) and must not change the index. When candidates is not NULL it
 * receives the number of subscriptions whose filter was checked. Returns SIZE_MAX,
 * without calling fn, when out of memory. */
size_t nf_index_match(nf_index *x, const nf_item *it, void (*fn)(void *arg, uint64_t id),
                      void *arg, size_t *candidates);

/* Whether it matches f (the rule above; false when out of memory). */
bool nf_filter_matches(const nf_filter *f, const nf_item *it);

#endif
