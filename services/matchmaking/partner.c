/* The partner index and search; the rules are in partner.h.
 *
 * Layout. Profiles sit in one dense array, so a search walks memory in
 * order; removing one moves the last into its place, and a hash map finds
 * a profile's place by its id. What every search reads of a profile fits
 * one cache line: its bitmasks (ecosystems, looking-for ecosystems and
 * cooperation), counts, label, country, its location as a unit vector (the
 * distance test is then three multiplications and a comparison with the
 * chord of max_km, and an arc sine only for profiles within it) and where
 * its lists are. The lists, sorted integers, are in one allocation per
 * profile, followed by what only a returned page needs: the coordinates as
 * given and the strings. List strings and words are interned: one table
 * maps each folded string to a small integer, so comparing lists is
 * intersecting integer arrays, and a query's values, looked up once, come
 * with a 64-bit signature (bit id % 64) that rules out most ids with one
 * test. The table counts how many list entries of profiles hold each
 * string and frees a string when no profile holds it any more, reusing its
 * integer: a profile rewritten again and again with new words leaves
 * behind only the words of its last version. The counts live in the table,
 * so a search reads no more of a profile than before.
 *
 * A search checks the filters from the cheapest, scores the profiles that
 * pass, and keeps the best offset + limit in a heap whose root is the worst
 * kept; only the page that is returned is explained in words. A scan of
 * 100,000 profiles waits on memory more than it computes, so it asks for
 * the lists a query reads a few profiles ahead of the one it checks. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */

#include "partner.h"

#include "countries.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mm_ecosystem_names[MM_ECOSYSTEM_MAX + 1] = {
    "unspecified",
    "aerospace & defence",
    "agri-food",
    "construction",
    "cultural & creative industries",
    "digital",
    "electronics",
    "energy-intensive industries",
    "renewable energy",
    "health",
    "mobility, transport & automotive",
    "proximity & social economy",
    "retail",
    "textile",
    "tourism",
};

const char *const mm_cooperation_names[MM_COOPERATION_MAX + 1] = {
    "unspecified",        "research", "internationalisation",
    "value chain",        "training", "funding applications",
    "knowledge exchange",
};

const char *const mm_label_names[MM_LABEL_MAX + 1] = {"none", "bronze", "silver", "gold"};

/* The mean radius of the Earth (IUGG), as the great-circle distances use. */
#define EARTH_R 6371.0088
#define DEG     (M_PI / 180.0)

#define NONE    UINT32_MAX
#define NO_CODE 0xFFFFu
/* Two-letter codes (countries, languages) as (a - 'a') * 26 + (b - 'a'): a
 * bitset of every code is 11 words. */
#define CODES      (26 * 26)
#define CODE_WORDS ((CODES + 63) / 64)

/* A profile keeps at most LIST_CAP values per list and TOKEN_CAP distinct
 * words, so that all its integers fit the 16-bit offsets. Real profiles are
 * far below both. */
#define LIST_CAP  4096
#define TOKEN_CAP 32768

/* Longest string of a query list, and of a query text, in bytes. */
#define QUERY_STR_MAX  200
#define QUERY_TEXT_MAX 1000
/* Longest string shown in an explanation, and in an error message, in
 * bytes; longer ones are cut (at a character boundary) and end in "...". */
#define SHOW_MAX     80
#define SHOW_ERR_MAX 60
/* Values listed by name in an explanation before "and N more". */
#define SHOW_LIST 5

/* Where a word of a profile was found: each word is stored as its interned
 * id shifted left by TOK_SHIFT, with these bits below. */
enum { W_NAME = 1, W_TECH = 2, W_SECT = 4, W_DESC = 8 };
#define TOK_SHIFT  4
#define TOK_ID_MAX ((1u << (32 - TOK_SHIFT)) - 1)

/* The lists of a profile, in the order they are stored. */
enum { L_SECT, L_TECH, L_EMERG, L_VC, L_LANG, L_LF_TECH, L_LF_CTRY, L_TOK, L_N };
/* The strings of a profile, in the order they are stored. S_FOLD is the
 * name folded, which names sort by. */
enum { S_ID, S_NAME, S_FOLD, S_ACR, S_NUTS, S_CITY, S_N };

/* ---- small helpers ------------------------------------------------------- */

static unsigned pair_code(const char *s)
{
	if (s == NULL)
		return NO_CODE;
	unsigned a = (unsigned char)s[0] | 0x20;
	if (a < 'a' || a > 'z')
		return NO_CODE;
	unsigned b = (unsigned char)s[1] | 0x20;
	if (b < 'a' || b > 'z' || s[2] != '\0')
		return NO_CODE;
	return (a - 'a') * 26 + (b - 'a');
}

static void code_str(unsigned code, char base, char out[3])
{
	out[0] = (char)(base + code / 26);
	out[1] = (char)(base + code % 26);
	out[2] = '\0';
}

static inline bool bit_get(const uint64_t *set, unsigned i)
{
	return (set[i / 64] >> (i % 64)) & 1;
}

static inline void bit_set(uint64_t *set, unsigned i)
{
	set[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Bits set in a 16-bit mask (the builtin is a library call on CPUs the
 * build does not assume have POPCNT). */
static inline unsigned popcount(unsigned v)
{
	v = v - ((v >> 1) & 0x5555);
	v = (v & 0x3333) + ((v >> 2) & 0x3333);
	v = (v + (v >> 4)) & 0x0F0F;
	return (v + (v >> 8)) & 0x1F;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Sorts v[0..n) and drops repeats; returns the new count. */
static size_t sort_unique(uint32_t *v, size_t n)
{
	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), cmp_u32);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[k - 1])
			v[k++] = v[i];
	return k;
}

static bool has_u32(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x;
}

/* The length of the longest start of s[0..n) that has at most max bytes
 * and does not end inside a UTF-8 character. Clients of the API decode
 * messages and explanations as UTF-8 (proto3 strings must be), so text is
 * never cut through a character. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Text that a bounded printf cut after byte n, where what followed is
 * lost: n, or the start of the last character when the cut split it. */
static size_t utf8_whole(const char *s, size_t n)
{
	size_t i = n;
	while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return n;
	unsigned char c = (unsigned char)s[i - 1];
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return i - 1 + len <= n ? n : i - 1;
}

/* s without leading and trailing ASCII white space: its start and length. */
static const char *trim(const char *s, size_t *n)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t k = strlen(s);
	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '\n' ||
	                 s[k - 1] == '\r'))
		k--;
	*n = k;
	return s;
}

/* ---- interned strings ---------------------------------------------------- */

/* An interned string. Its id is its place in the table, which profiles hold
 * in their lists. refs counts those list entries over every profile; the
 * entry is freed when it drops to 0, so the table holds the vocabulary of
 * the profiles in the index and no more, however often profiles are
 * rewritten. A freed place (fold NULL) is reused by the next new string. */
typedef struct istr {
	char *fold;       /* the folded form, the key, and the block to free */
	const char *disp; /* the spelling first seen, trimmed (may be fold) */
	uint32_t hash;    /* free places: the next free place + 1, 0 at the end */
	uint32_t len;
	uint32_t refs;
} istr;

typedef struct intern {
	istr *v;
	uint32_t n, cap; /* places in use or freed, allocated */
	uint32_t live;   /* strings alive */
	uint32_t free1;  /* a free place + 1; 0: none */
	uint32_t *tab;   /* id + 1; 0: empty */
	uint32_t mask;
	size_t bytes; /* of the strings' blocks */
} intern;

static uint32_t intern_find(const intern *in, const char *s, size_t n, uint32_t h)
{
	if (in->tab == NULL)
		return NONE;
	for (uint32_t i = h & in->mask;; i = (i + 1) & in->mask) {
		uint32_t e = in->tab[i];
		if (e == 0)
			return NONE;
		const istr *is = &in->v[e - 1];
		if (is->hash == h && is->len == n && memcmp(is->fold, s, n) == 0)
			return e - 1;
	}
}

/* Makes room for one more string: a place (unless one is free) and a hash
 * table at most half full. */
static bool intern_grow(intern *in)
{
	if (in->free1 == 0 && in->n == in->cap) {
		uint32_t cap = in->cap ? in->cap * 2 : 1024;
		istr *v = realloc(in->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		in->v = v;
		in->cap = cap;
	}
	if (in->tab == NULL || (size_t)(in->live + 1) * 2 > (size_t)in->mask + 1) {
		uint32_t size = in->tab ? (in->mask + 1) * 2 : 2048;
		uint32_t *tab = calloc(size, sizeof(*tab));
		if (tab == NULL)
			return false;
		for (uint32_t id = 0; id < in->n; id++) {
			if (in->v[id].fold == NULL)
				continue;
			uint32_t i = in->v[id].hash & (size - 1);
			while (tab[i] != 0)
				i = (i + 1) & (size - 1);
			tab[i] = id + 1;
		}
		free(in->tab);
		in->tab = tab;
		in->mask = size - 1;
	}
	return true;
}

/* The id of the folded string fold[0..n), added with the display spelling
 * disp[0..dn) and no references when new (*added then says so). NONE when
 * out of memory. */
static uint32_t intern_add(intern *in, const char *fold, size_t n, const char *disp,
                           size_t dn, bool *added)
{
	*added = false;
	uint32_t h = hash_bytes(fold, n);
	uint32_t id = intern_find(in, fold, n, h);
	if (id != NONE)
		return id;
	if ((in->free1 == 0 && in->n >= TOK_ID_MAX) || !intern_grow(in))
		return NONE;
	bool same = dn == n && memcmp(disp, fold, n) == 0;
	size_t size = n + 1 + (same ? 0 : dn + 1);
	char *f = malloc(size);
	if (f == NULL)
		return NONE;
	memcpy(f, fold, n);
	f[n] = '\0';
	char *d = f;
	if (!same) {
		d = f + n + 1;
		memcpy(d, disp, dn);
		d[dn] = '\0';
	}
	if (in->free1 != 0) {
		id = in->free1 - 1;
		in->free1 = in->v[id].hash;
	} else {
		id = in->n++;
	}
	in->v[id] = (istr){.fold = f, .disp = d, .hash = h, .len = (uint32_t)n};
	in->live++;
	in->bytes += size;
	uint32_t i = h & in->mask;
	while (in->tab[i] != 0)
		i = (i + 1) & in->mask;
	in->tab[i] = id + 1;
	*added = true;
	return id;
}

/* Frees string id, which no profile holds any more, and makes its place
 * free. The hash table loses its entry without a tombstone: later entries
 * of the probe run move back (as map_delete does for profiles). */
static void intern_release(intern *in, uint32_t id)
{
	istr *is = &in->v[id];
	uint32_t i = is->hash & in->mask;
	while (in->tab[i] != id + 1)
		i = (i + 1) & in->mask;
	for (uint32_t j = i;;) {
		j = (j + 1) & in->mask;
		if (in->tab[j] == 0)
			break;
		uint32_t k = in->v[in->tab[j] - 1].hash & in->mask;
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			in->tab[i] = in->tab[j];
			i = j;
		}
	}
	in->tab[i] = 0;
	in->bytes -= is->len + 1 + (is->disp != is->fold ? strlen(is->disp) + 1 : 0);
	free(is->fold);
	*is = (istr){.hash = in->free1};
	in->free1 = id + 1;
	in->live--;
}

static void intern_free(intern *in)
{
	for (uint32_t id = 0; id < in->n; id++)
		free(in->v[id].fold);
	free(in->v);
	free(in->tab);
}

/* ---- the index ----------------------------------------------------------- */

/* What a search reads of every profile: 64 bytes, one cache line. The rest
 * is in the profile's block (ids): first its lists (L_*), then what only
 * the returned page and mm_partners_get need (cold), then its strings. */
typedef struct prof {
	uint64_t name_key; /* the first 8 bytes of the folded name, big-endian */
	uint32_t *ids;
	float x, y, z; /* unit vector of the location: within a metre */
	uint32_t members, smes;
	uint16_t off[L_N + 1];
	uint16_t eco, lf_eco; /* bit e for ecosystem e */
	uint16_t country;     /* pair_code, NO_CODE when unknown */
	uint8_t lf_coop;      /* bit k for cooperation kind k */
	uint8_t label;
	bool has_loc;
} prof;

typedef struct cold {
	double lat, lon;    /* degrees, as given */
	uint32_t soff[S_N]; /* offsets of the strings after this */
} cold;

_Static_assert(sizeof(prof) <= 64, "a profile's hot part fits a cache line");

struct mm_partners {
	pthread_rwlock_t lock;
	prof *v;
	size_t n, cap;
	uint32_t *map; /* place + 1 by hash of the id; 0: empty */
	size_t mask;
	intern words;
};

static inline const uint32_t *list(const prof *p, int l, size_t *n)
{
	*n = (size_t)(p->off[l + 1] - p->off[l]);
	return p->ids + p->off[l];
}

static inline size_t list_n(const prof *p, int l)
{
	return (size_t)(p->off[l + 1] - p->off[l]);
}

/* The cold part starts at the first 8-byte boundary after the lists. */
static inline const cold *pcold(const prof *p)
{
	return (const cold *)(const void *)(p->ids + ((p->off[L_N] + 1u) & ~1u));
}

static inline const char *pstr(const prof *p, int s)
{
	const cold *c = pcold(p);
	return (const char *)(c + 1) + c->soff[s];
}

/* Counts the references p's lists hold to interned strings (add), or takes
 * them away and frees the strings left without one. Languages and
 * countries are codes, not interned. */
static void prof_refs(intern *in, const prof *p, bool add)
{
	for (int l = 0; l < L_N; l++) {
		if (l == L_LANG || l == L_LF_CTRY)
			continue;
		size_t n;
		const uint32_t *v = list(p, l, &n);
		unsigned shift = l == L_TOK ? TOK_SHIFT : 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t id = v[i] >> shift;
			if (add)
				in->v[id].refs++;
			else if (--in->v[id].refs == 0)
				intern_release(in, id);
		}
	}
}

static size_t map_find(const mm_partners *x, const char *id, bool *found)
{
	size_t i = hash_bytes(id, strlen(id)) & x->mask;
	for (;; i = (i + 1) & x->mask) {
		uint32_t e = x->map[i];
		if (e == 0) {
			*found = false;
			return i;
		}
		if (strcmp(pstr(&x->v[e - 1], S_ID), id) == 0) {
			*found = true;
			return i;
		}
	}
}

/* The place of the profile with this id, or SIZE_MAX. */
static size_t place_of(const mm_partners *x, const char *id)
{
	if (id == NULL || x->n == 0)
		return SIZE_MAX;
	bool found;
	size_t i = map_find(x, id, &found);
	return found ? x->map[i] - 1 : SIZE_MAX;
}

static bool map_grow(mm_partners *x)
{
	if ((x->n + 1) * 2 <= x->mask + 1)
		return true;
	size_t size = (x->mask + 1) * 2;
	uint32_t *map = calloc(size, sizeof(*map));
	if (map == NULL)
		return false;
	for (size_t k = 0; k < x->n; k++) {
		const char *id = pstr(&x->v[k], S_ID);
		size_t i = hash_bytes(id, strlen(id)) & (size - 1);
		while (map[i] != 0)
			i = (i + 1) & (size - 1);
		map[i] = (uint32_t)(k + 1);
	}
	free(x->map);
	x->map = map;
	x->mask = size - 1;
	return true;
}

/* Empties map slot i, moving later entries of its probe run back so that
 * lookups still find them (deletion without tombstones). */
static void map_delete(mm_partners *x, size_t i)
{
	size_t j = i;
	for (;;) {
		j = (j + 1) & x->mask;
		if (x->map[j] == 0)
			break;
		const char *id = pstr(&x->v[x->map[j] - 1], S_ID);
		size_t k = hash_bytes(id, strlen(id)) & x->mask;
		/* The entry at j may move to i unless its home k lies
		 * cyclically in (i, j]. */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			x->map[i] = x->map[j];
			i = j;
		}
	}
	x->map[i] = 0;
}

mm_partners *mm_partners_new(void)
{
	mm_partners *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	x->mask = 1023;
	x->map = calloc(x->mask + 1, sizeof(*x->map));
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
#ifdef __GLIBC__
	/* glibc prefers readers by default: searches arriving back to back
	 * would hold off the daemon's updates for as long as they keep
	 * coming. */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	int rc = pthread_rwlock_init(&x->lock, &a);
	pthread_rwlockattr_destroy(&a);
	if (x->map == NULL || rc != 0) {
		free(x->map);
		free(x);
		return NULL;
	}
	return x;
}

void mm_partners_free(mm_partners *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i].ids);
	free(x->v);
	free(x->map);
	intern_free(&x->words);
	pthread_rwlock_destroy(&x->lock);
	free(x);
}

/* ---- building a profile -------------------------------------------------- */

typedef struct vec {
	uint32_t *v;
	size_t n, cap;
} vec;

static bool vec_push(vec *a, uint32_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		uint32_t *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return true;
}

typedef struct build {
	intern *in;
	vec l[L_N];
	vec added; /* strings this build added to the table */
	bool oom;
	const char *src; /* the text being split into words */
	unsigned where;  /* W_* of that text */
	char *fold;      /* scratch for folding, fold_cap bytes */
	size_t fold_cap;
} build;

/* The id of a string a list of the profile holds. The caller drops, after
 * the put, the strings the build added that no profile came to hold (the
 * put failed, or a list was over its cap). */
static uint32_t intern_id(build *b, const char *fold, size_t n, const char *disp,
                          size_t dn)
{
	bool added;
	uint32_t id = intern_add(b->in, fold, n, disp, dn, &added);
	if (added && !vec_push(&b->added, id)) {
		intern_release(b->in, id);
		id = NONE;
	}
	return id;
}

static void add_word(build *b, const char *w, size_t n)
{
	uint32_t id = intern_id(b, w, n, w, n);
	if (id == NONE || !vec_push(&b->l[L_TOK], id << TOK_SHIFT | b->where))
		b->oom = true;
}

static void alt_word_cb(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	(void)start;
	(void)end;
	add_word(arg, tok, n);
}

/* The second byte of ä, Ä, ö, Ö, ü or Ü in UTF-8 (after 0xC3): the plain
 * letter, or 0. */
static char umlaut_base(unsigned char c)
{
	switch (c) {
	case 0xA4:
		return 'a';
	case 0x84:
		return 'A';
	case 0xB6:
		return 'o';
	case 0x96:
		return 'O';
	case 0xBC:
		return 'u';
	case 0x9C:
		return 'U';
	}
	return 0;
}

static bool is_aou(unsigned char c)
{
	return c == 'a' || c == 'o' || c == 'u' || c == 'A' || c == 'O' || c == 'U';
}

/* A word with ä, ö or ü (or a, o, u and a combining diaeresis) is also
 * found by its German spelling with ae, oe, ue, as the catalog's full-text
 * index does it: the word written out again that way and folded. */
static void add_german_spelling(build *b, const unsigned char *s, size_t n)
{
	bool any = false;
	for (size_t i = 0; i + 1 < n && !any; i++)
		any = (s[i] == 0xC3 && umlaut_base(s[i + 1]) != 0) ||
		      (i > 0 && s[i] == 0xCC && s[i + 1] == 0x88 && is_aou(s[i - 1]));
	if (!any)
		return;
	char *alt = malloc(2 * n + 1);
	if (alt == NULL) {
		b->oom = true;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && s[i] == 0xC3 && umlaut_base(s[i + 1]) != 0) {
			alt[k++] = umlaut_base(s[i + 1]);
			alt[k++] = 'e';
			i++;
		} else if (i > 0 && i + 1 < n && s[i] == 0xCC && s[i + 1] == 0x88 &&
		           is_aou(s[i - 1])) {
			alt[k++] = 'e';
			i++;
		} else {
			alt[k++] = (char)s[i];
		}
	}
	eccp_text_tokens(alt, k, alt_word_cb, b);
	free(alt);
}

static void word_cb(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	build *b = arg;
	add_word(b, tok, n);
	add_german_spelling(b, (const unsigned char *)b->src + start, end - start);
}

static void add_words(build *b, const char *s, unsigned where)
{
	if (s == NULL || *s == '\0')
		return;
	b->src = s;
	b->where = where;
	eccp_text_tokens(s, strlen(s), word_cb, b);
}

/* Folds s into b->fold; its length, 0 for a string without a word. */
static size_t fold(build *b, const char *s)
{
	size_t need = strlen(s) + 1;
	if (need > b->fold_cap) {
		char *f = realloc(b->fold, need);
		if (f == NULL) {
			b->oom = true;
			return 0;
		}
		b->fold = f;
		b->fold_cap = need;
	}
	return eccp_text_fold(s, b->fold, b->fold_cap);
}

static void add_strings(build *b, int l, const char *const *v, size_t n, unsigned where)
{
	for (size_t i = 0; i < n && v != NULL; i++) {
		if (v[i] == NULL)
			continue;
		size_t fn = fold(b, v[i]);
		if (fn == 0)
			continue;
		size_t dn;
		const char *d = trim(v[i], &dn);
		uint32_t id = intern_id(b, b->fold, fn, d, dn);
		if (id == NONE || (b->l[l].n < LIST_CAP && !vec_push(&b->l[l], id)))
			b->oom = true;
		if (where != 0)
			add_words(b, v[i], where);
	}
}

static void add_codes(build *b, int l, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n && v != NULL; i++) {
		unsigned c = pair_code(v[i]);
		if (c != NO_CODE && b->l[l].n < LIST_CAP && !vec_push(&b->l[l], c))
			b->oom = true;
	}
}

static uint16_t eco_mask(const int *v, size_t n)
{
	uint16_t m = 0;
	for (size_t i = 0; i < n && v != NULL; i++)
		if (v[i] >= 1 && v[i] <= MM_ECOSYSTEM_MAX)
			m |= (uint16_t)(1u << v[i]);
	return m;
}

/* Sorts the words by id and merges the places each was found in. */
static void merge_words(vec *w)
{
	if (w->n < 2)
		return;
	qsort(w->v, w->n, sizeof(*w->v), cmp_u32);
	size_t k = 1;
	for (size_t i = 1; i < w->n; i++) {
		if (w->v[i] >> TOK_SHIFT == w->v[k - 1] >> TOK_SHIFT)
			w->v[k - 1] |= w->v[i];
		else
			w->v[k++] = w->v[i];
	}
	w->n = k < TOKEN_CAP ? k : TOKEN_CAP;
}

/* The point at lat, lon (degrees) on the unit sphere. */
static void unit_vector(double lat, double lon, double v[3])
{
	double cl = cos(lat * DEG);
	v[0] = cl * cos(lon * DEG);
	v[1] = cl * sin(lon * DEG);
	v[2] = sin(lat * DEG);
}

/* Builds the index's form of p into *r, without counting its references
 * to interned strings yet. 0, or -1 when out of memory. The strings the
 * build added to the table are in *added either way. */
static int build_prof(mm_partners *x, const mm_profile *p, prof *r, vec *added)
{
	build b = {.in = &x->words};
	memset(r, 0, sizeof(*r));
	r->eco = eco_mask(p->ecosystems, p->n_ecosystems);
	r->lf_eco = eco_mask(p->looking_for.ecosystems, p->looking_for.n_ecosystems);
	for (size_t i = 0; i < p->looking_for.n_cooperation && p->looking_for.cooperation;
	     i++) {
		int k = p->looking_for.cooperation[i];
		if (k >= 1 && k <= MM_COOPERATION_MAX)
			r->lf_coop |= (uint8_t)(1u << k);
	}
	r->label = p->excellence_label >= 0 && p->excellence_label <= MM_LABEL_MAX
	               ? (uint8_t)p->excellence_label
	               : 0;
	r->members = p->members_total;
	r->smes = p->members_smes;
	r->country = (uint16_t)pair_code(p->country);
	if (p->has_location) {
		double v[3];
		unit_vector(p->latitude, p->longitude, v);
		r->has_loc = true;
		r->x = (float)v[0];
		r->y = (float)v[1];
		r->z = (float)v[2];
	}

	add_strings(&b, L_SECT, p->sectors, p->n_sectors, W_SECT);
	add_strings(&b, L_TECH, p->technologies, p->n_technologies, W_TECH);
	add_strings(&b, L_EMERG, p->emerging_industries, p->n_emerging_industries, 0);
	add_strings(&b, L_VC, p->value_chains, p->n_value_chains, 0);
	add_codes(&b, L_LANG, p->languages, p->n_languages);
	add_strings(&b, L_LF_TECH, p->looking_for.technologies,
	            p->looking_for.n_technologies, 0);
	add_codes(&b, L_LF_CTRY, p->looking_for.countries, p->looking_for.n_countries);
	add_words(&b, p->name, W_NAME);
	add_words(&b, p->acronym, W_NAME);
	add_words(&b, p->description, W_DESC);
	for (int l = 0; l < L_TOK; l++)
		b.l[l].n = sort_unique(b.l[l].v, b.l[l].n);
	merge_words(&b.l[L_TOK]);

	/* The strings: id, name, folded name, acronym, NUTS region (upper
	 * case, trimmed), city. */
	const char *s[S_N];
	size_t sn[S_N];
	s[S_ID] = p->id;
	s[S_NAME] = p->name ? p->name : "";
	s[S_ACR] = p->acronym ? p->acronym : "";
	s[S_NUTS] = trim(p->nuts_region ? p->nuts_region : "", &sn[S_NUTS]);
	s[S_CITY] = p->city ? p->city : "";
	size_t fn = fold(&b, s[S_NAME]);
	s[S_FOLD] = b.fold ? b.fold : "";
	for (int k = 0; k < S_N; k++)
		if (k != S_NUTS)
			sn[k] = k == S_FOLD ? fn : strlen(s[k]);

	size_t nids = 0;
	for (int l = 0; l < L_N; l++) {
		r->off[l] = (uint16_t)nids;
		nids += b.l[l].n;
	}
	r->off[L_N] = (uint16_t)nids;
	cold cd = {.lat = p->has_location ? p->latitude : 0,
	           .lon = p->has_location ? p->longitude : 0};
	size_t nchars = 0;
	for (int k = 0; k < S_N; k++) {
		cd.soff[k] = (uint32_t)nchars;
		nchars += sn[k] + 1;
	}
	size_t head = ((nids + 1) & ~(size_t)1) * sizeof(uint32_t);
	if (!b.oom)
		r->ids = malloc(head + sizeof(cold) + nchars);
	if (r->ids != NULL) {
		for (int l = 0; l < L_N; l++)
			if (b.l[l].n > 0)
				memcpy(r->ids + r->off[l], b.l[l].v,
				       b.l[l].n * sizeof(uint32_t));
		memcpy((char *)r->ids + head, &cd, sizeof(cd));
		char *c = (char *)r->ids + head + sizeof(cold);
		for (int k = 0; k < S_N; k++) {
			memcpy(c + cd.soff[k], s[k], sn[k]);
			c[cd.soff[k] + sn[k]] = '\0';
		}
		for (char *u = c + cd.soff[S_NUTS]; *u; u++)
			if (*u >= 'a' && *u <= 'z')
				*u = (char)(*u - 'a' + 'A');
		const unsigned char *f = (const unsigned char *)c + cd.soff[S_FOLD];
		for (size_t i = 0; i < 8; i++) {
			r->name_key = r->name_key << 8 | (i < fn ? f[i] : 0);
		}
	}
	for (int l = 0; l < L_N; l++)
		free(b.l[l].v);
	free(b.fold);
	*added = b.added;
	return r->ids != NULL ? 0 : -1;
}

int mm_partners_put(mm_partners *x, const mm_profile *p)
{
	if (x == NULL || p == NULL || p->id == NULL || p->id[0] == '\0' ||
	    (p->has_location && !(p->latitude >= -90 && p->latitude <= 90 &&
	                          p->longitude >= -180 && p->longitude <= 180))) {
		errno = EINVAL;
		return -1;
	}
	pthread_rwlock_wrlock(&x->lock);
	prof r;
	vec added = {0};
	int rc = build_prof(x, p, &r, &added);
	bool found = false;
	size_t i = rc == 0 ? map_find(x, p->id, &found) : 0;
	if (rc == 0 && found) {
		/* The new version's references first, so that the strings the
		 * two versions share are not freed in between. */
		size_t k = x->map[i] - 1;
		prof_refs(&x->words, &r, true);
		prof_refs(&x->words, &x->v[k], false);
		free(x->v[k].ids);
		x->v[k] = r;
	} else if (rc == 0) {
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 256;
			prof *v = realloc(x->v, cap * sizeof(*v));
			if (v == NULL) {
				rc = -1;
			} else {
				x->v = v;
				x->cap = cap;
			}
		}
		if (rc == 0 && !map_grow(x))
			rc = -1;
		if (rc == 0) {
			i = map_find(x, p->id, &found);
			prof_refs(&x->words, &r, true);
			x->v[x->n] = r;
			x->map[i] = (uint32_t)(++x->n);
		} else {
			free(r.ids);
		}
	}
	for (size_t a = 0; a < added.n; a++)
		if (x->words.v[added.v[a]].refs == 0)
			intern_release(&x->words, added.v[a]);
	free(added.v);
	pthread_rwlock_unlock(&x->lock);
	if (rc != 0)
		errno = ENOMEM;
	return rc;
}

bool mm_partners_remove(mm_partners *x, const char *id)
{
	if (x == NULL || id == NULL)
		return false;
	pthread_rwlock_wrlock(&x->lock);
	bool found = false;
	if (x->n > 0) {
		size_t i = map_find(x, id, &found);
		if (found) {
			size_t k = x->map[i] - 1;
			map_delete(x, i);
			prof_refs(&x->words, &x->v[k], false);
			free(x->v[k].ids);
			size_t last = x->n - 1;
			if (k != last) {
				bool f;
				size_t j = map_find(x, pstr(&x->v[last], S_ID), &f);
				x->v[k] = x->v[last];
				x->map[j] = (uint32_t)(k + 1);
			}
			x->n--;
		}
	}
	pthread_rwlock_unlock(&x->lock);
	return found;
}

size_t mm_partners_count(mm_partners *x)
{
	pthread_rwlock_rdlock(&x->lock);
	size_t n = x->n;
	pthread_rwlock_unlock(&x->lock);
	return n;
}

bool mm_partners_has(mm_partners *x, const char *id)
{
	pthread_rwlock_rdlock(&x->lock);
	bool has = place_of(x, id) != SIZE_MAX;
	pthread_rwlock_unlock(&x->lock);
	return has;
}

/* The bytes of p's block: its lists, cold part and strings. */
static size_t prof_bytes(const prof *p)
{
	size_t head = ((p->off[L_N] + 1u) & ~1u) * sizeof(uint32_t);
	const cold *c = pcold(p);
	return head + sizeof(cold) + c->soff[S_N - 1] + strlen(pstr(p, S_N - 1)) + 1;
}

void mm_partners_stats(mm_partners *x, mm_index_stats *out)
{
	pthread_rwlock_rdlock(&x->lock);
	const intern *in = &x->words;
	*out = (mm_index_stats){
	    .profiles = x->n,
	    .strings = in->live,
	    .string_bytes = in->bytes,
	    .string_slots = in->n,
	    .table_bytes = (size_t)in->cap * sizeof(istr) +
	                   (in->tab ? ((size_t)in->mask + 1) * sizeof(uint32_t) : 0) +
	                   x->cap * sizeof(prof) + (x->mask + 1) * sizeof(uint32_t),
	};
	for (size_t i = 0; i < x->n; i++)
		out->profile_bytes += prof_bytes(&x->v[i]);
	pthread_rwlock_unlock(&x->lock);
}

/* ---- copying a profile out ----------------------------------------------- */

typedef struct layout {
	char *ptrs, *ints, *chars; /* next free byte of each part */
} layout;

static const char *put_str(layout *o, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = o->chars;
	memcpy(d, s, n);
	o->chars += n;
	return d;
}

static const char *const *put_list(layout *o, const intern *in, const prof *p, int l,
                                   size_t *count)
{
	size_t n;
	const uint32_t *v = list(p, l, &n);
	*count = n;
	if (n == 0)
		return NULL;
	const char **d = (const char **)(void *)o->ptrs;
	o->ptrs += n * sizeof(char *);
	for (size_t i = 0; i < n; i++) {
		if (l == L_LANG || l == L_LF_CTRY) {
			char c[3];
			code_str(v[i], l == L_LANG ? 'a' : 'A', c);
			d[i] = put_str(o, c);
		} else {
			d[i] = put_str(o, in->v[v[i]].disp);
		}
	}
	return d;
}

static const int *put_bits(layout *o, unsigned mask, int max, size_t *count)
{
	int *d = (int *)(void *)o->ints;
	size_t n = 0;
	for (int k = 1; k <= max; k++)
		if (mask & (1u << k))
			d[n++] = k;
	o->ints += n * sizeof(int);
	*count = n;
	return n ? d : NULL;
}

mm_profile *mm_partners_get(mm_partners *x, const char *id)
{
	pthread_rwlock_rdlock(&x->lock);
	size_t k = place_of(x, id);
	mm_profile *out = NULL;
	if (k == SIZE_MAX)
		goto done;
	const prof *p = &x->v[k];
	size_t nptr = 0, nint = 0, nchar = 0;
	for (int s = 0; s < S_N; s++)
		nchar += strlen(pstr(p, s)) + 1;
	nchar += 3;
	for (int l = 0; l < L_TOK; l++) {
		size_t n;
		const uint32_t *v = list(p, l, &n);
		nptr += n;
		for (size_t i = 0; i < n; i++)
			nchar += l == L_LANG || l == L_LF_CTRY
			             ? 3
			             : strlen(x->words.v[v[i]].disp) + 1;
	}
	nint = popcount(p->eco) + popcount(p->lf_eco) + popcount(p->lf_coop);
	out = malloc(sizeof(*out) + nptr * sizeof(char *) + nint * sizeof(int) + nchar);
	if (out == NULL)
		goto done;
	memset(out, 0, sizeof(*out));
	layout o;
	o.ptrs = (char *)(out + 1);
	o.ints = o.ptrs + nptr * sizeof(char *);
	o.chars = o.ints + nint * sizeof(int);
	out->id = put_str(&o, pstr(p, S_ID));
	out->name = put_str(&o, pstr(p, S_NAME));
	out->acronym = put_str(&o, pstr(p, S_ACR));
	char c[3] = "";
	if (p->country != NO_CODE)
		code_str(p->country, 'A', c);
	out->country = put_str(&o, c);
	out->nuts_region = put_str(&o, pstr(p, S_NUTS));
	out->city = put_str(&o, pstr(p, S_CITY));
	out->has_location = p->has_loc;
	out->latitude = pcold(p)->lat;
	out->longitude = pcold(p)->lon;
	out->ecosystems = put_bits(&o, p->eco, MM_ECOSYSTEM_MAX, &out->n_ecosystems);
	out->sectors = put_list(&o, &x->words, p, L_SECT, &out->n_sectors);
	out->technologies = put_list(&o, &x->words, p, L_TECH, &out->n_technologies);
	out->emerging_industries =
	    put_list(&o, &x->words, p, L_EMERG, &out->n_emerging_industries);
	out->value_chains = put_list(&o, &x->words, p, L_VC, &out->n_value_chains);
	out->members_total = p->members;
	out->members_smes = p->smes;
	out->excellence_label = p->label;
	out->languages = put_list(&o, &x->words, p, L_LANG, &out->n_languages);
	mm_looking_for *lf = &out->looking_for;
	lf->ecosystems = put_bits(&o, p->lf_eco, MM_ECOSYSTEM_MAX, &lf->n_ecosystems);
	lf->technologies = put_list(&o, &x->words, p, L_LF_TECH, &lf->n_technologies);
	lf->countries = put_list(&o, &x->words, p, L_LF_CTRY, &lf->n_countries);
	lf->cooperation =
	    put_bits(&o, p->lf_coop, MM_COOPERATION_MAX, &lf->n_cooperation);
done:
	pthread_rwlock_unlock(&x->lock);
	return out;
}

/* ---- compiling a query --------------------------------------------------- */

/* The criteria, in the order the breakdown lists them. */
enum {
	C_ECO,
	C_SECT,
	C_TECH,
	C_EMERG,
	C_VC,
	C_CTRY,
	C_EXCL,
	C_NUTS,
	C_DIST,
	C_MEMB,
	C_SMES,
	C_LABEL,
	C_LANG,
	C_TEXT,
	C_SIM_ECO,
	C_SIM_TECH,
	C_SIM_SECT,
	C_SIM_VC,
	C_SIM_EMERG,
	C_OFFERS,
	C_WANTS,
	C_BOTH,
	C_COOP,
	C_N
};

static const char *const crit_name[C_N] = {
    [C_ECO] = "ecosystems",
    [C_SECT] = "sectors",
    [C_TECH] = "technologies",
    [C_EMERG] = "emerging industries",
    [C_VC] = "value chains",
    [C_CTRY] = "countries",
    [C_EXCL] = "excluded countries",
    [C_NUTS] = "regions",
    [C_DIST] = "distance",
    [C_MEMB] = "members",
    [C_SMES] = "SMEs",
    [C_LABEL] = "excellence label",
    [C_LANG] = "languages",
    [C_TEXT] = "text",
    [C_SIM_ECO] = "similar ecosystems",
    [C_SIM_TECH] = "similar technologies",
    [C_SIM_SECT] = "similar sectors",
    [C_SIM_VC] = "similar value chains",
    [C_SIM_EMERG] = "similar emerging industries",
    [C_OFFERS] = "offers what you look for",
    [C_WANTS] = "looks for what you offer",
    [C_BOTH] = "both ways",
    [C_COOP] = "cooperation",
};

/* How much a filter costs to check, cheapest first. */
static const uint8_t filter_cost[C_N] = {
    [C_ECO] = 0,  [C_CTRY] = 0,  [C_EXCL] = 0, [C_LABEL] = 1, [C_MEMB] = 1,
    [C_SMES] = 1, [C_DIST] = 2,  [C_LANG] = 3, [C_NUTS] = 4,  [C_SECT] = 5,
    [C_TECH] = 5, [C_EMERG] = 5, [C_VC] = 5,   [C_TEXT] = 6,
};

/* The lists of a profile each criterion reads (bit L_*). */
#define LB(l) (1u << (l))
static const unsigned crit_lists[C_N] = {
    [C_SECT] = LB(L_SECT),
    [C_TECH] = LB(L_TECH),
    [C_EMERG] = LB(L_EMERG),
    [C_VC] = LB(L_VC),
    [C_LANG] = LB(L_LANG),
    [C_TEXT] = LB(L_TOK),
    [C_SIM_TECH] = LB(L_TECH),
    [C_SIM_SECT] = LB(L_SECT),
    [C_SIM_VC] = LB(L_VC),
    [C_SIM_EMERG] = LB(L_EMERG),
    [C_OFFERS] = LB(L_TECH),
    [C_WANTS] = LB(L_LF_TECH) | LB(L_LF_CTRY),
    [C_BOTH] = LB(L_TECH) | LB(L_LF_TECH) | LB(L_LF_CTRY),
};

/* Singular and plural of what the string-set criteria hold. */
static const char *const set_noun[4][2] = {
    [L_SECT] = {"sector", "sectors"},
    [L_TECH] = {"technology", "technologies"},
    [L_EMERG] = {"emerging industry", "emerging industries"},
    [L_VC] = {"value chain", "value chains"},
};

/* A query's set of strings, interned: v[0..n) are the ids the index knows,
 * sorted; nq counts the distinct values of the query, known or not. */
typedef struct idset {
	const uint32_t *v;
	size_t n, nq;
	uint64_t sig;
	const char *first; /* the first value as the query spells it */
} idset;

typedef struct qword {
	uint32_t id;     /* exact words: the interned id, NONE if no profile has it */
	uint64_t *bits;  /* prefixes: a bitset over the interned ids */
	const char *txt; /* folded */
	bool prefix;
} qword;

typedef struct crit {
	int type;
	mm_use use;
	double weight;
} crit;

typedef struct plan {
	const mm_partners *x;
	eccp_arena *mem;
	crit c[C_N];
	size_t nc;
	int filt[C_N];
	size_t nfilt;
	double wsum;
	int list_lo, list_hi; /* the lists the criteria read: L_* from lo to hi */

	uint16_t eco;
	idset set[4]; /* by L_SECT .. L_VC */
	uint64_t ctry[CODE_WORDS], excl[CODE_WORDS], lang[CODE_WORDS];
	char (*nuts)[8];
	size_t nnuts, nlang;
	/* distance */
	double ox, oy, oz, max_km, chord2;
	const prof *origin;
	size_t origin_at;
	double olat, olon;
	uint32_t mmin, mmax, smin, smax;
	int label;
	qword *words;
	size_t nwords;
	/* the mode's reference */
	const prof *ref;
	size_t ref_at;
	idset rset[4], rlf_tech;
	uint64_t rlf_ctry[CODE_WORDS];
	/* Equal scores rank nearest first to this point (a unit vector) when
	 * near is set: the distance criterion's origin, else the mode's
	 * reference. */
	bool near;
	double nx, ny, nz;
} plan;

static int fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...)
{
	if (cap > 0) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(err, cap, fmt, ap);
		va_end(ap);
		if (k > 0 && (size_t)k >= cap)
			err[utf8_whole(err, cap - 1)] = '\0';
	}
	return -1;
}

/* A string of the query or of a profile in a message, for "'%.*s%s'":
 * at most SHOW_ERR_MAX bytes of it, and "..." when it is longer. */
#define SHOWN(s)                                                                         \
	(int)utf8_prefix((s), strlen(s), SHOW_ERR_MAX), (s),                             \
	    strlen(s) > SHOW_ERR_MAX ? "..." : ""

static int check_use(const char *field, mm_use use, double *weight, char *err, size_t cap)
{
	if (use != MM_OFF && use != MM_FILTER && use != MM_PREFER)
		return fail(err, cap, "%s.use: must be off, filter or preference", field);
	if (use != MM_PREFER) {
		*weight = 0;
		return 0;
	}
	if (!(*weight >= 0 && *weight <= MM_WEIGHT_MAX))
		return fail(err, cap,
		            "%s.weight: must be a number from 0 to 100 (0: the default)",
		            field);
	if (*weight == 0)
		*weight = MM_DEFAULT_WEIGHT;
	return 0;
}

static void add_crit(plan *pl, int type, mm_use use, double weight)
{
	pl->c[pl->nc++] = (crit){.type = type, .use = use, .weight = weight};
	if (use == MM_PREFER)
		pl->wsum += weight;
}

/* Checks a list of strings: its length, and each value: present, not too
 * long, valid UTF-8. */
static int check_list(const char *field, const char *const *v, size_t n, bool need,
                      char *err, size_t cap)
{
	if (n == 0 && need)
		return fail(err, cap, "%s: needs at least one value", field);
	if (n > MM_LIST_MAX)
		return fail(err, cap, "%s: at most %d values", field, MM_LIST_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *s = v ? v[i] : NULL;
		if (s == NULL || s[0] == '\0')
			return fail(err, cap, "%s[%zu]: must not be empty", field, i);
		if (strlen(s) > QUERY_STR_MAX)
			return fail(err, cap, "%s[%zu]: must be at most %d bytes", field,
			            i, QUERY_STR_MAX);
		if (!eccp_utf8_valid(s, strlen(s)))
			return fail(err, cap, "%s[%zu]: must be valid UTF-8", field, i);
	}
	return 0;
}

static uint64_t signature(const uint32_t *v, size_t n)
{
	uint64_t sig = 0;
	for (size_t i = 0; i < n; i++)
		sig |= (uint64_t)1 << (v[i] & 63);
	return sig;
}

static int compile_strings(plan *pl, const char *field, const char *const *v, size_t n,
                           idset *out, char *err, size_t cap)
{
	char **folded = eccp_arena_alloc(pl->mem, n * sizeof(char *));
	uint32_t *ids = eccp_arena_alloc(pl->mem, n * sizeof(uint32_t));
	out->v = ids;
	out->first = v[0];
	for (size_t i = 0; i < n; i++) {
		char *f = eccp_arena_alloc(pl->mem, strlen(v[i]) + 1);
		size_t fn = eccp_text_fold(v[i], f, strlen(v[i]) + 1);
		if (fn == 0)
			return fail(err, cap, "%s[%zu]: must have a letter or a digit",
			            field, i);
		bool seen = false;
		for (size_t j = 0; j < out->nq && !seen; j++)
			seen = strcmp(folded[j], f) == 0;
		if (seen)
			continue;
		folded[out->nq++] = f;
		uint32_t id = intern_find(&pl->x->words, f, fn, hash_bytes(f, fn));
		if (id != NONE)
			ids[out->n++] = id;
	}
	out->n = sort_unique(ids, out->n);
	out->sig = signature(out->v, out->n);
	return 0;
}

static int compile_codes(const char *field, const char *const *v, size_t n, bool country,
                         uint64_t *set, char *err, size_t cap)
{
	for (size_t i = 0; i < n; i++) {
		unsigned c = pair_code(v[i]);
		char up[3];
		if (c != NO_CODE)
			code_str(c, 'A', up);
		if (c == NO_CODE || (country && eccp_country_find(up) == NULL))
			return fail(
			    err, cap,
			    country
			        ? "%s[%zu]: must be an ISO 3166-1 alpha-2 country code"
			        : "%s[%zu]: must be an ISO 639-1 language code",
			    field, i);
		bit_set(set, c);
	}
	return 0;
}

static int compile_nuts(plan *pl, const mm_strings_criterion *c, char *err, size_t cap)
{
	pl->nuts = eccp_arena_alloc(pl->mem, c->n * sizeof(*pl->nuts));
	for (size_t i = 0; i < c->n; i++) {
		const char *s = c->values[i];
		size_t n = strlen(s);
		bool ok = n >= 2 && n <= 5;
		for (size_t k = 0; k < n && ok; k++) {
			char ch = s[k];
			ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			     (k >= 2 && ch >= '0' && ch <= '9');
		}
		if (!ok)
			return fail(
			    err, cap,
			    "criteria.nuts_regions[%zu]: must be a NUTS code (2 letters "
			    "and up to 3 letters or digits)",
			    i);
		for (size_t k = 0; k <= n; k++)
			pl->nuts[pl->nnuts][k] =
			    s[k] >= 'a' && s[k] <= 'z' ? (char)(s[k] - 'a' + 'A') : s[k];
		pl->nnuts++;
	}
	return 0;
}

typedef struct text_ctx {
	plan *pl;
	const char *text;
	size_t len;
	size_t count;
} text_ctx;

static void query_word_cb(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	(void)start;
	text_ctx *t = arg;
	plan *pl = t->pl;
	t->count++;
	if (pl->nwords >= MM_LIST_MAX)
		return;
	bool prefix = end < t->len && t->text[end] == '*';
	for (size_t i = 0; i < pl->nwords; i++)
		if (pl->words[i].prefix == prefix && strcmp(pl->words[i].txt, tok) == 0)
			return;
	qword *w = &pl->words[pl->nwords++];
	w->txt = eccp_arena_strndup(pl->mem, tok, n);
	w->prefix = prefix;
	w->id = NONE;
	const intern *in = &pl->x->words;
	if (!prefix) {
		w->id = intern_find(in, tok, n, hash_bytes(tok, n));
		return;
	}
	/* The table holds only the words of the profiles in the index (and
	 * the places freed since it held the most), so this scan is as long
	 * as the index's vocabulary. */
	w->bits = eccp_arena_alloc(pl->mem, ((size_t)in->n + 63) / 64 * sizeof(uint64_t));
	for (uint32_t id = 0; id < in->n; id++) {
		const istr *is = &in->v[id];
		if (is->fold != NULL && is->len >= n && memcmp(is->fold, tok, n) == 0)
			bit_set(w->bits, id);
	}
}

static int compile_text(plan *pl, const mm_text_criterion *c, char *err, size_t cap)
{
	const char *s = c->text;
	if (s == NULL || s[0] == '\0')
		return fail(err, cap, "criteria.text: must not be empty");
	size_t n = strlen(s);
	if (n > QUERY_TEXT_MAX)
		return fail(err, cap, "criteria.text: must be at most %d bytes",
		            QUERY_TEXT_MAX);
	if (!eccp_utf8_valid(s, n))
		return fail(err, cap, "criteria.text: must be valid UTF-8");
	pl->words = eccp_arena_alloc(pl->mem, MM_LIST_MAX * sizeof(qword));
	text_ctx t = {.pl = pl, .text = s, .len = n};
	eccp_text_tokens(s, n, query_word_cb, &t);
	if (t.count == 0)
		return fail(err, cap, "criteria.text: must have a word");
	if (t.count > MM_LIST_MAX)
		return fail(err, cap, "criteria.text: at most %d words", MM_LIST_MAX);
	return 0;
}

/* The reference's lists as query sets. */
static void ref_set(plan *pl, const prof *r, int l, idset *out)
{
	size_t n;
	const uint32_t *v = list(r, l, &n);
	out->v = v;
	out->n = out->nq = n;
	out->sig = signature(v, n);
	out->first = n ? pl->x->words.v[v[0]].disp : "";
}

static int compile_mode(plan *pl, const mm_query *q, char *err, size_t cap)
{
	if (q->mode != MM_MODE_NONE && q->mode != MM_MODE_SIMILAR &&
	    q->mode != MM_MODE_COMPLEMENTARY)
		return fail(err, cap, "mode: must be none, similar or complementary");
	if (q->mode == MM_MODE_NONE)
		return 0;
	const char *mname = q->mode == MM_MODE_SIMILAR ? "similar" : "complementary";
	if (q->cluster_id == NULL || q->cluster_id[0] == '\0')
		return fail(err, cap, "cluster_id: the %s mode needs a reference cluster",
		            mname);
	if (!eccp_utf8_valid(q->cluster_id, strlen(q->cluster_id)))
		return fail(err, cap, "cluster_id: must be valid UTF-8");
	pl->ref_at = place_of(pl->x, q->cluster_id);
	if (pl->ref_at == SIZE_MAX)
		return fail(err, cap,
		            "cluster_id: cluster '%.*s%s' is not in the partner index",
		            SHOWN(q->cluster_id));
	const prof *r = pl->ref = &pl->x->v[pl->ref_at];
	for (int l = L_SECT; l <= L_VC; l++)
		ref_set(pl, r, l, &pl->rset[l]);
	ref_set(pl, r, L_LF_TECH, &pl->rlf_tech);
	size_t nc;
	const uint32_t *cv = list(r, L_LF_CTRY, &nc);
	for (size_t i = 0; i < nc; i++)
		bit_set(pl->rlf_ctry, cv[i]);

	/* The preferences of the similar mode: the kind of value, its default
	 * weight and the query's weight. */
	const mm_mode_weights *mw = &q->mode_weights;
	const struct {
		int type;
		int list; /* -1: ecosystems */
		double def, w;
		const char *field;
	} sim[] = {
	    {C_SIM_ECO, -1, 30, mw->ecosystems, "mode_weights.ecosystems"},
	    {C_SIM_TECH, L_TECH, 40, mw->technologies, "mode_weights.technologies"},
	    {C_SIM_SECT, L_SECT, 20, mw->sectors, "mode_weights.sectors"},
	    {C_SIM_VC, L_VC, 10, mw->value_chains, "mode_weights.value_chains"},
	    {C_SIM_EMERG, L_EMERG, 10, mw->emerging_industries,
	     "mode_weights.emerging_industries"},
	    {C_BOTH, 0, 100, mw->complementary, "mode_weights.complementary"},
	    {C_COOP, 0, 20, mw->cooperation, "mode_weights.cooperation"},
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(sim); i++)
		if (!(sim[i].w >= 0 && sim[i].w <= MM_WEIGHT_MAX))
			return fail(err, cap,
			            "%s: must be a number from 0 to 100 (0: the default)",
			            sim[i].field);

	if (q->mode == MM_MODE_SIMILAR) {
		size_t before = pl->nc;
		for (size_t i = 0; i < 5; i++) {
			bool has =
			    sim[i].list < 0 ? r->eco != 0 : list_n(r, sim[i].list) > 0;
			if (has)
				add_crit(pl, sim[i].type, MM_PREFER,
				         sim[i].w > 0 ? sim[i].w : sim[i].def);
		}
		if (pl->nc == before)
			return fail(err, cap,
			            "cluster_id: cluster '%.*s%s' lists no ecosystems, "
			            "technologies, "
			            "sectors, value chains or emerging industries to "
			            "compare with",
			            SHOWN(q->cluster_id));
		return 0;
	}
	if (r->lf_eco == 0 && list_n(r, L_LF_TECH) == 0 && nc == 0)
		return fail(
		    err, cap,
		    "cluster_id: cluster '%.*s%s' does not say what it looks for, "
		    "which the "
		    "complementary mode needs",
		    SHOWN(q->cluster_id));
	double wc = mw->complementary > 0 ? mw->complementary : 100;
	add_crit(pl, C_OFFERS, MM_PREFER, wc * 0.25);
	add_crit(pl, C_WANTS, MM_PREFER, wc * 0.25);
	add_crit(pl, C_BOTH, MM_PREFER, wc * 0.5);
	if (r->lf_coop != 0)
		add_crit(pl, C_COOP, MM_PREFER,
		         mw->cooperation > 0 ? mw->cooperation : 20);
	return 0;
}

static int compile_distance(plan *pl, const mm_distance_criterion *d, char *err,
                            size_t cap)
{
	if (!(d->max_km > 0 && d->max_km <= MM_MAX_KM))
		return fail(err, cap, "criteria.distance.max_km: must be > 0 and <= %d",
		            MM_MAX_KM);
	if (d->from_cluster != NULL && d->from_cluster[0] != '\0') {
		if (!eccp_utf8_valid(d->from_cluster, strlen(d->from_cluster)))
			return fail(
			    err, cap,
			    "criteria.distance.from_cluster: must be valid UTF-8");
		pl->origin_at = place_of(pl->x, d->from_cluster);
		if (pl->origin_at == SIZE_MAX)
			return fail(err, cap,
			            "criteria.distance.from_cluster: cluster '%.*s%s' is "
			            "not in the "
			            "partner index",
			            SHOWN(d->from_cluster));
		pl->origin = &pl->x->v[pl->origin_at];
		if (!pl->origin->has_loc)
			return fail(
			    err, cap,
			    "criteria.distance.from_cluster: cluster '%.*s%s' has "
			    "no location",
			    SHOWN(d->from_cluster));
		pl->olat = pcold(pl->origin)->lat;
		pl->olon = pcold(pl->origin)->lon;
	} else {
		if (!(d->latitude >= -90 && d->latitude <= 90))
			return fail(err, cap,
			            "criteria.distance.latitude: must be from -90 to 90");
		if (!(d->longitude >= -180 && d->longitude <= 180))
			return fail(
			    err, cap,
			    "criteria.distance.longitude: must be from -180 to 180");
		pl->olat = d->latitude;
		pl->olon = d->longitude;
	}
	double o[3];
	unit_vector(pl->olat, pl->olon, o);
	pl->ox = o[0];
	pl->oy = o[1];
	pl->oz = o[2];
	pl->max_km = d->max_km;
	/* The chord through the Earth that spans max_km along its surface. */
	double ch = 2 * sin(d->max_km / (2 * EARTH_R));
	pl->chord2 = ch * ch;
	return 0;
}

/* A countries or languages criterion: its use and values checked, and the
 * codes it names set in bits. */
static int compile_code_criterion(plan *pl, int type, const char *field,
                                  const mm_strings_criterion *c, bool country,
                                  uint64_t *bits, char *err, size_t cap)
{
	double w = c->weight;
	if (check_use(field, c->use, &w, err, cap) != 0)
		return -1;
	if (c->use == MM_OFF)
		return 0;
	if (check_list(field, c->values, c->n, true, err, cap) != 0 ||
	    compile_codes(field, c->values, c->n, country, bits, err, cap) != 0)
		return -1;
	add_crit(pl, type, c->use, w);
	return 0;
}

/* A members or SMEs criterion: its use and bounds checked, and the bounds
 * kept in *min and *max for passes and pref_score. */
static int compile_range(plan *pl, int type, const char *field,
                         const mm_range_criterion *r, uint32_t *min, uint32_t *max,
                         char *err, size_t cap)
{
	double w = r->weight;
	if (check_use(field, r->use, &w, err, cap) != 0)
		return -1;
	if (r->use == MM_OFF)
		return 0;
	if (r->min == 0 && r->max == 0)
		return fail(err, cap, "%s: needs a min or a max", field);
	if (r->max != 0 && r->min > r->max)
		return fail(err, cap, "%s.min: must be <= max", field);
	*min = r->min;
	*max = r->max;
	add_crit(pl, type, r->use, w);
	return 0;
}

static int compile(plan *pl, const mm_query *q, char *err, size_t cap)
{
	double w;
	int rc;
	if (q->limit > MM_LIMIT_MAX)
		return fail(err, cap, "limit: must be at most %d", MM_LIMIT_MAX);
	if (q->offset > MM_OFFSET_MAX)
		return fail(err, cap, "offset: must be at most %d", MM_OFFSET_MAX);

	w = q->ecosystems.weight;
	if (check_use("criteria.ecosystems", q->ecosystems.use, &w, err, cap) != 0)
		return -1;
	if (q->ecosystems.use != MM_OFF) {
		if (q->ecosystems.n == 0)
			return fail(err, cap,
			            "criteria.ecosystems: needs at least one value");
		if (q->ecosystems.n > MM_LIST_MAX)
			return fail(err, cap, "criteria.ecosystems: at most %d values",
			            MM_LIST_MAX);
		for (size_t i = 0; i < q->ecosystems.n; i++) {
			int e = q->ecosystems.values ? q->ecosystems.values[i] : 0;
			if (e < 1 || e > MM_ECOSYSTEM_MAX)
				return fail(err, cap,
				            "criteria.ecosystems[%zu]: must be 1 to %d",
				            i, MM_ECOSYSTEM_MAX);
			pl->eco |= (uint16_t)(1u << e);
		}
		add_crit(pl, C_ECO, q->ecosystems.use, w);
	}

	const struct {
		int type, l;
		const mm_strings_criterion *c;
		const char *field;
	} sets[] = {
	    {C_SECT, L_SECT, &q->sectors, "criteria.sectors"},
	    {C_TECH, L_TECH, &q->technologies, "criteria.technologies"},
	    {C_EMERG, L_EMERG, &q->emerging_industries, "criteria.emerging_industries"},
	    {C_VC, L_VC, &q->value_chains, "criteria.value_chains"},
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(sets); i++) {
		const mm_strings_criterion *c = sets[i].c;
		w = c->weight;
		if (check_use(sets[i].field, c->use, &w, err, cap) != 0)
			return -1;
		if (c->use == MM_OFF)
			continue;
		if (check_list(sets[i].field, c->values, c->n, true, err, cap) != 0 ||
		    compile_strings(pl, sets[i].field, c->values, c->n,
		                    &pl->set[sets[i].l], err, cap) != 0)
			return -1;
		add_crit(pl, sets[i].type, c->use, w);
	}

	if (compile_code_criterion(pl, C_CTRY, "criteria.countries", &q->countries, true,
	                           pl->ctry, err, cap) != 0)
		return -1;
	if (q->n_exclude_countries > 0) {
		if (check_list("criteria.exclude_countries", q->exclude_countries,
		               q->n_exclude_countries, true, err, cap) != 0 ||
		    compile_codes("criteria.exclude_countries", q->exclude_countries,
		                  q->n_exclude_countries, true, pl->excl, err, cap) != 0)
			return -1;
		add_crit(pl, C_EXCL, MM_FILTER, 0);
	}

	w = q->nuts_regions.weight;
	if (check_use("criteria.nuts_regions", q->nuts_regions.use, &w, err, cap) != 0)
		return -1;
	if (q->nuts_regions.use != MM_OFF) {
		if (check_list("criteria.nuts_regions", q->nuts_regions.values,
		               q->nuts_regions.n, true, err, cap) != 0 ||
		    compile_nuts(pl, &q->nuts_regions, err, cap) != 0)
			return -1;
		add_crit(pl, C_NUTS, q->nuts_regions.use, w);
	}

	w = q->distance.weight;
	if (check_use("criteria.distance", q->distance.use, &w, err, cap) != 0)
		return -1;
	if (q->distance.use != MM_OFF) {
		if (compile_distance(pl, &q->distance, err, cap) != 0)
			return -1;
		add_crit(pl, C_DIST, q->distance.use, w);
	}

	if (compile_range(pl, C_MEMB, "criteria.members", &q->members, &pl->mmin,
	                  &pl->mmax, err, cap) != 0 ||
	    compile_range(pl, C_SMES, "criteria.smes", &q->smes, &pl->smin, &pl->smax,
	                  err, cap) != 0)
		return -1;

	w = q->label.weight;
	if (check_use("criteria.label", q->label.use, &w, err, cap) != 0)
		return -1;
	if (q->label.use != MM_OFF) {
		if (q->label.min < 1 || q->label.min > MM_LABEL_MAX)
			return fail(err, cap,
			            "criteria.label.min: must be 1 (bronze), 2 (silver) "
			            "or 3 (gold)");
		pl->label = q->label.min;
		add_crit(pl, C_LABEL, q->label.use, w);
	}

	if (compile_code_criterion(pl, C_LANG, "criteria.languages", &q->languages, false,
	                           pl->lang, err, cap) != 0)
		return -1;
	/* No bit is set when the criterion is off (the plan starts zeroed). */
	for (int k = 0; k < CODE_WORDS; k++)
		pl->nlang += (size_t)__builtin_popcountll(pl->lang[k]);

	w = q->text.weight;
	if (check_use("criteria.text", q->text.use, &w, err, cap) != 0)
		return -1;
	if (q->text.use != MM_OFF) {
		if (compile_text(pl, &q->text, err, cap) != 0)
			return -1;
		add_crit(pl, C_TEXT, q->text.use, w);
	}

	if ((rc = compile_mode(pl, q, err, cap)) != 0)
		return rc;
	/* The point the results' distances are given from (fill_result) is
	 * the one equal scores are ordered by. */
	if (q->distance.use != MM_OFF) {
		pl->near = true;
		pl->nx = pl->ox;
		pl->ny = pl->oy;
		pl->nz = pl->oz;
	} else if (pl->ref != NULL && pl->ref->has_loc) {
		pl->near = true;
		pl->nx = pl->ref->x;
		pl->ny = pl->ref->y;
		pl->nz = pl->ref->z;
	}

	unsigned lists = 0;
	for (size_t i = 0; i < pl->nc; i++) {
		lists |= crit_lists[pl->c[i].type];
		if (pl->c[i].use == MM_FILTER)
			pl->filt[pl->nfilt++] = (int)i;
	}
	pl->list_lo = lists ? __builtin_ctz(lists) : 0;
	pl->list_hi = lists ? 31 - __builtin_clz(lists) : -1;
	/* Cheapest filters first (a few entries: insertion sort). */
	for (size_t i = 1; i < pl->nfilt; i++) {
		int v = pl->filt[i];
		size_t j = i;
		while (j > 0 && filter_cost[pl->c[pl->filt[j - 1]].type] >
		                    filter_cost[pl->c[v].type]) {
			pl->filt[j] = pl->filt[j - 1];
			j--;
		}
		pl->filt[j] = v;
	}
	return 0;
}

/* ---- evaluating a profile ------------------------------------------------ */

/* How many of the ids a[0..n) are in s. */
static size_t overlap(const uint32_t *a, size_t n, const idset *s)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((s->sig >> (a[i] & 63)) & 1) && has_u32(s->v, s->n, a[i]))
			k++;
	return k;
}

static bool any_overlap(const uint32_t *a, size_t n, const idset *s)
{
	for (size_t i = 0; i < n; i++)
		if (((s->sig >> (a[i] & 63)) & 1) && has_u32(s->v, s->n, a[i]))
			return true;
	return false;
}

static inline double chord2(const plan *pl, const prof *p)
{
	double dx = p->x - pl->ox, dy = p->y - pl->oy, dz = p->z - pl->oz;
	return dx * dx + dy * dy + dz * dz;
}

/* The great-circle distance for a squared chord of the unit sphere: the
 * haversine formula, as hav(d / R) = chord^2 / 4. */
static inline double chord_km(double c2)
{
	double h = sqrt(c2) / 2;
	return 2 * EARTH_R * asin(h < 1 ? h : 1);
}

/* The distance shown: the haversine formula on the coordinates as given. */
static double haversine_km(double lat1, double lon1, double lat2, double lon2)
{
	double s1 = sin((lat2 - lat1) * DEG / 2), s2 = sin((lon2 - lon1) * DEG / 2);
	double h = s1 * s1 + cos(lat1 * DEG) * cos(lat2 * DEG) * s2 * s2;
	return 2 * EARTH_R * asin(sqrt(h < 1 ? h : 1));
}

static double km_from_origin(const plan *pl, const prof *p)
{
	const cold *c = pcold(p);
	return haversine_km(pl->olat, pl->olon, c->lat, c->lon);
}

/* The query's NUTS code that p's region starts with (its index), or -1. A
 * profile without a region matches a two-letter code by its country. */
static int nuts_match(const plan *pl, const prof *p)
{
	const char *r = pstr(p, S_NUTS);
	for (size_t i = 0; i < pl->nnuts; i++) {
		const char *c = pl->nuts[i];
		if (r[0] != '\0') {
			size_t n = strlen(c);
			if (strncmp(r, c, n) == 0)
				return (int)i;
		} else if (c[2] == '\0' && p->country != NO_CODE) {
			char cc[3];
			code_str(p->country, 'A', cc);
			if (strcmp(c, "EL") == 0)
				c = "GR";
			else if (strcmp(c, "UK") == 0)
				c = "GB";
			if (strcmp(c, cc) == 0)
				return (int)i;
		}
	}
	return -1;
}

static size_t lang_overlap(const plan *pl, const prof *p)
{
	size_t n, k = 0;
	const uint32_t *v = list(p, L_LANG, &n);
	for (size_t i = 0; i < n; i++)
		k += bit_get(pl->lang, v[i]);
	return k;
}

/* The entry of word w among p's words (its id and where it was found), or 0
 * when p does not have it. */
static uint32_t find_word(const qword *w, const prof *p)
{
	size_t n;
	const uint32_t *v = list(p, L_TOK, &n);
	if (!w->prefix) {
		if (w->id == NONE)
			return 0;
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (v[mid] >> TOK_SHIFT < w->id)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < n && v[lo] >> TOK_SHIFT == w->id ? v[lo] : 0;
	}
	for (size_t i = 0; i < n; i++)
		if (bit_get(w->bits, v[i] >> TOK_SHIFT))
			return v[i];
	return 0;
}

static size_t words_found(const plan *pl, const prof *p, bool all)
{
	size_t k = 0;
	for (size_t i = 0; i < pl->nwords; i++) {
		if (find_word(&pl->words[i], p) != 0)
			k++;
		else if (all)
			return k;
	}
	return k;
}

static bool in_range(uint32_t v, uint32_t min, uint32_t max)
{
	return v >= min && (max == 0 || v <= max);
}

static double range_score(uint32_t v, uint32_t min, uint32_t max)
{
	if (v < min)
		return (double)v / min;
	if (max != 0 && v > max)
		return (double)max / v;
	return 1;
}

static bool passes(const plan *pl, int type, const prof *p)
{
	size_t n;
	const uint32_t *v;
	switch (type) {
	case C_ECO:
		return (p->eco & pl->eco) != 0;
	case C_SECT:
	case C_TECH:
	case C_EMERG:
	case C_VC: {
		int l = type - C_SECT + L_SECT;
		v = list(p, l, &n);
		return any_overlap(v, n, &pl->set[l]);
	}
	case C_CTRY:
		return p->country != NO_CODE && bit_get(pl->ctry, p->country);
	case C_EXCL:
		return p->country == NO_CODE || !bit_get(pl->excl, p->country);
	case C_NUTS:
		return nuts_match(pl, p) >= 0;
	case C_DIST:
		return p->has_loc && chord2(pl, p) <= pl->chord2;
	case C_MEMB:
		return in_range(p->members, pl->mmin, pl->mmax);
	case C_SMES:
		return in_range(p->smes, pl->smin, pl->smax);
	case C_LABEL:
		return p->label >= pl->label;
	case C_LANG:
		return lang_overlap(pl, p) > 0;
	case C_TEXT:
		return words_found(pl, p, true) == pl->nwords;
	}
	return true;
}

/* The two directions of complementarity, and their parts. */
typedef struct comp {
	unsigned eco_have, eco_of; /* shared ecosystems, of how many wanted */
	size_t tech_have, tech_of;
	bool ctry_asked, ctry_ok;
	double score;
} comp;

/* One direction of complementarity from its parts: the ecosystems wanted
 * and those had (bits), tech_have of tech_of technologies wanted, and
 * whether countries were asked for and one fits. Each part asked for
 * counts alike in the score. */
static void comp_of(comp *c, unsigned eco_want, unsigned eco_had, size_t tech_have,
                    size_t tech_of, bool ctry_asked, bool ctry_ok)
{
	*c = (comp){.eco_of = popcount(eco_want),
	            .eco_have = popcount(eco_want & eco_had),
	            .tech_have = tech_have,
	            .tech_of = tech_of,
	            .ctry_asked = ctry_asked,
	            .ctry_ok = ctry_ok};
	double sum = 0;
	int parts = 0;
	if (c->eco_of > 0) {
		sum += (double)c->eco_have / c->eco_of;
		parts++;
	}
	if (tech_of > 0) {
		sum += (double)tech_have / tech_of;
		parts++;
	}
	if (ctry_asked) {
		sum += ctry_ok;
		parts++;
	}
	c->score = parts ? sum / parts : 0;
}

/* What p offers of what the reference looks for. */
static void offers(const plan *pl, const prof *p, comp *c)
{
	const prof *r = pl->ref;
	size_t n;
	const uint32_t *v = list(p, L_TECH, &n);
	bool asked = list_n(r, L_LF_CTRY) > 0;
	comp_of(c, r->lf_eco, p->eco,
	        pl->rlf_tech.n > 0 ? overlap(v, n, &pl->rlf_tech) : 0, pl->rlf_tech.n,
	        asked,
	        asked && p->country != NO_CODE && bit_get(pl->rlf_ctry, p->country));
}

/* What p looks for of what the reference offers. */
static void wants(const plan *pl, const prof *p, comp *c)
{
	const prof *r = pl->ref;
	size_t n_tech, n_ctry;
	const uint32_t *tech = list(p, L_LF_TECH, &n_tech);
	const uint32_t *ctry = list(p, L_LF_CTRY, &n_ctry);
	bool fits = false;
	for (size_t i = 0; i < n_ctry && !fits; i++)
		fits = ctry[i] == r->country;
	comp_of(c, p->lf_eco, r->eco,
	        n_tech > 0 ? overlap(tech, n_tech, &pl->rset[L_TECH]) : 0, n_tech,
	        n_ctry > 0, fits);
}

/* What is worked out once per profile for several criteria. */
typedef struct memo {
	bool comp_done;
	comp offer, want;
} memo;

static void memo_comp(const plan *pl, const prof *p, memo *m)
{
	if (m->comp_done)
		return;
	offers(pl, p, &m->offer);
	wants(pl, p, &m->want);
	m->comp_done = true;
}

static double jaccard(size_t inter, size_t a, size_t b)
{
	size_t uni = a + b - inter;
	return uni ? (double)inter / uni : 0;
}

static double pref_score(const plan *pl, int type, const prof *p, memo *m)
{
	size_t n;
	const uint32_t *v;
	switch (type) {
	case C_ECO:
		return (double)popcount(p->eco & pl->eco) / popcount(pl->eco);
	case C_SECT:
	case C_TECH:
	case C_EMERG:
	case C_VC: {
		int l = type - C_SECT + L_SECT;
		v = list(p, l, &n);
		return (double)overlap(v, n, &pl->set[l]) / pl->set[l].nq;
	}
	case C_CTRY:
	case C_EXCL:
	case C_NUTS:
		return passes(pl, type, p);
	case C_DIST: {
		if (!p->has_loc)
			return 0;
		double c2 = chord2(pl, p);
		if (c2 > pl->chord2)
			return 0;
		double s = 1 - chord_km(c2) / pl->max_km;
		return s > 0 ? s : 0;
	}
	case C_MEMB:
		return range_score(p->members, pl->mmin, pl->mmax);
	case C_SMES:
		return range_score(p->smes, pl->smin, pl->smax);
	case C_LABEL:
		return p->label >= pl->label ? 1 : (double)p->label / pl->label;
	case C_LANG:
		return lang_overlap(pl, p) > 0;
	case C_TEXT:
		return (double)words_found(pl, p, false) / pl->nwords;
	case C_SIM_ECO:
		return jaccard(popcount(p->eco & pl->ref->eco), popcount(p->eco),
		               popcount(pl->ref->eco));
	case C_SIM_TECH:
	case C_SIM_SECT:
	case C_SIM_VC:
	case C_SIM_EMERG: {
		int l = type == C_SIM_TECH   ? L_TECH
		        : type == C_SIM_SECT ? L_SECT
		        : type == C_SIM_VC   ? L_VC
		                             : L_EMERG;
		v = list(p, l, &n);
		return jaccard(overlap(v, n, &pl->rset[l]), n, pl->rset[l].n);
	}
	case C_OFFERS:
		memo_comp(pl, p, m);
		return m->offer.score;
	case C_WANTS:
		memo_comp(pl, p, m);
		return m->want.score;
	case C_BOTH:
		memo_comp(pl, p, m);
		return sqrt(m->offer.score * m->want.score);
	case C_COOP:
		return (double)popcount(p->lf_coop & pl->ref->lf_coop) /
		       popcount(pl->ref->lf_coop);
	}
	return 0;
}

static double total_score(const plan *pl, const prof *p)
{
	if (pl->wsum == 0)
		return 1;
	memo m;
	m.comp_done = false;
	double sum = 0;
	for (size_t i = 0; i < pl->nc; i++)
		if (pl->c[i].use == MM_PREFER)
			sum += pl->c[i].weight * pref_score(pl, pl->c[i].type, p, &m);
	double s = sum / pl->wsum;
	return s < 1 ? s : 1;
}

/* ---- ranking ------------------------------------------------------------- */

typedef struct hent {
	double score;
	uint32_t at;
	/* The squared chord to the plan's near point, in single precision
	 * as the locations are kept (a metre or so); +inf without a location;
	 * 0 for every profile when the query measures no distance. */
	float near;
} hent;

/* < 0 when a ranks before b: higher score, then nearer, then name, then
 * id. */
static int rank_cmp(const mm_partners *x, const hent *a, const hent *b)
{
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->near != b->near)
		return a->near < b->near ? -1 : 1;
	const prof *pa = &x->v[a->at], *pb = &x->v[b->at];
	if (pa->name_key != pb->name_key)
		return pa->name_key < pb->name_key ? -1 : 1;
	int c = strcmp(pstr(pa, S_FOLD), pstr(pb, S_FOLD));
	if (c == 0)
		c = strcmp(pstr(pa, S_NAME), pstr(pb, S_NAME));
	if (c == 0)
		c = strcmp(pstr(pa, S_ID), pstr(pb, S_ID));
	return c;
}

/* The best k so far; h[0] is the worst of them. */
typedef struct heap {
	hent *h;
	size_t n, k;
} heap;

static void sift_down(const mm_partners *x, heap *hp, size_t i)
{
	hent *h = hp->h;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < hp->n && rank_cmp(x, &h[l], &h[w]) > 0)
			w = l;
		if (r < hp->n && rank_cmp(x, &h[r], &h[w]) > 0)
			w = r;
		if (w == i)
			return;
		hent t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static float near_key(const plan *pl, const prof *p)
{
	if (!pl->near)
		return 0;
	if (!p->has_loc)
		return INFINITY;
	double dx = p->x - pl->nx, dy = p->y - pl->ny, dz = p->z - pl->nz;
	return (float)(dx * dx + dy * dy + dz * dz);
}

static void heap_offer(const plan *pl, heap *hp, double score, size_t at)
{
	const mm_partners *x = pl->x;
	hent *h = hp->h;
	/* Most profiles of a long scan rank below the worst kept: they are
	 * turned away before their distance is worked out. */
	if (hp->n == hp->k && (hp->k == 0 || score < h[0].score))
		return;
	hent e = {.score = score, .at = (uint32_t)at, .near = near_key(pl, &x->v[at])};
	if (hp->n < hp->k) {
		size_t i = hp->n++;
		while (i > 0) {
			size_t up = (i - 1) / 2;
			if (rank_cmp(x, &h[up], &e) >= 0)
				break;
			h[i] = h[up];
			i = up;
		}
		h[i] = e;
		return;
	}
	if (rank_cmp(x, &e, &h[0]) >= 0)
		return;
	h[0] = e;
	sift_down(x, hp, 0);
}

/* ---- explaining ---------------------------------------------------------- */

typedef struct sb {
	char buf[1536];
	size_t n;
} sb;

static void sb_add(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(sb *b, const char *fmt, ...)
{
	size_t room = sizeof(b->buf) - b->n;
	if (room <= 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->buf + b->n, room, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if ((size_t)k >= room) {
		/* Full: keep what fits, without a character the cut split. */
		b->n = utf8_whole(b->buf, sizeof(b->buf) - 1);
		b->buf[b->n] = '\0';
	} else {
		b->n += (size_t)k;
	}
}

/* Adds s in quotes, cut to SHOW_MAX bytes at a character boundary. */
static void sb_quote(sb *b, const char *s)
{
	size_t n = strlen(s);
	if (n <= SHOW_MAX) {
		sb_add(b, "'%s'", s);
		return;
	}
	sb_add(b, "'%.*s...'", (int)utf8_prefix(s, n, SHOW_MAX), s);
}

static const char *ref_name(const prof *r)
{
	const char *n = pstr(r, S_NAME);
	return n[0] ? n : pstr(r, S_ID);
}

static const char *country_name(unsigned code, char buf[3])
{
	if (code == NO_CODE)
		return NULL;
	code_str(code, 'A', buf);
	const eccp_country *c = eccp_country_find(buf);
	return c ? c->name : buf;
}

/* "a, b, c and 2 more" for the ecosystems in mask. */
static void sb_ecos(sb *b, unsigned mask)
{
	int shown = 0, total = (int)popcount(mask);
	for (int e = 1; e <= MM_ECOSYSTEM_MAX; e++) {
		if (!(mask & (1u << e)))
			continue;
		if (shown == SHOW_LIST) {
			sb_add(b, " and %d more", total - shown);
			return;
		}
		sb_add(b, "%s%s", shown ? ", " : "", mm_ecosystem_names[e]);
		shown++;
	}
}

/* The values of a[0..n) that are in s, quoted, with "and N more". */
static void sb_shared(sb *b, const plan *pl, const uint32_t *a, size_t n, const idset *s,
                      size_t total)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!has_u32(s->v, s->n, a[i]))
			continue;
		if (shown == SHOW_LIST) {
			sb_add(b, " and %zu more", total - shown);
			return;
		}
		if (shown)
			sb_add(b, ", ");
		sb_quote(b, pl->x->words.v[a[i]].disp);
		shown++;
	}
}

static void sb_km(sb *b, double d)
{
	if (d < 10)
		sb_add(b, "%.1f km", d);
	else
		sb_add(b, "%.0f km", d);
}

static void sb_range(sb *b, uint32_t v, const char *what, uint32_t min, uint32_t max)
{
	sb_add(b, "%u %s (wanted ", v, what);
	if (min > 0 && max > 0)
		sb_add(b, "%u to %u)", min, max);
	else if (min > 0)
		sb_add(b, "at least %u)", min);
	else
		sb_add(b, "at most %u)", max);
}

static void explain_text(sb *b, const plan *pl, const prof *p)
{
	static const struct {
		unsigned bit;
		const char *name;
	} where[] = {{W_NAME, "name"},
	             {W_TECH, "technologies"},
	             {W_SECT, "sectors"},
	             {W_DESC, "description"}};
	bool any = false;
	for (size_t i = 0; i < pl->nwords; i++) {
		const qword *w = &pl->words[i];
		uint32_t e = find_word(w, p);
		if (e == 0)
			continue;
		sb_add(b, "%s", any ? "; " : "matches ");
		any = true;
		if (w->prefix)
			sb_add(b, "'%s*' as '%s'", w->txt,
			       pl->x->words.v[e >> TOK_SHIFT].fold);
		else
			sb_add(b, "'%s'", w->txt);
		sb_add(b, " in its ");
		int k = 0, nw = popcount(e & ((1u << TOK_SHIFT) - 1));
		for (size_t j = 0; j < ECCP_ARRAY_LEN(where); j++) {
			if (!(e & where[j].bit))
				continue;
			sb_add(b, "%s%s",
			       k == 0        ? ""
			       : k == nw - 1 ? " and "
			                     : ", ",
			       where[j].name);
			k++;
		}
	}
	bool missing = false;
	for (size_t i = 0; i < pl->nwords; i++) {
		if (find_word(&pl->words[i], p) != 0)
			continue;
		sb_add(b, "%s'%s%s'",
		       missing ? ", "
		       : any   ? "; not "
		               : "matches none of ",
		       pl->words[i].txt, pl->words[i].prefix ? "*" : "");
		missing = true;
	}
}

static void explain_comp(sb *b, const plan *pl, const prof *p, const comp *c, bool offer)
{
	const char *rn = ref_name(pl->ref);
	int parts = 0;
	if (offer) {
		if (c->eco_of > 0) {
			sb_add(b, "has %u of the %u ecosystems '%s' looks for",
			       c->eco_have, c->eco_of, rn);
			if (c->eco_have) {
				sb_add(b, " (");
				sb_ecos(b, p->eco & pl->ref->lf_eco);
				sb_add(b, ")");
			}
			parts++;
		}
		if (c->tech_of > 0) {
			sb_add(b, "%s%zu of the %zu technologies it looks for",
			       parts ? "; " : "has ", c->tech_have, c->tech_of);
			if (c->tech_have) {
				size_t n;
				const uint32_t *v = list(p, L_TECH, &n);
				sb_add(b, " (");
				sb_shared(b, pl, v, n, &pl->rlf_tech, c->tech_have);
				sb_add(b, ")");
			}
			parts++;
		}
		if (c->ctry_asked) {
			char cc[3];
			const char *cn = country_name(p->country, cc);
			sb_add(b, "%s", parts ? "; " : "");
			if (c->ctry_ok)
				sb_add(b, "is in %s, a country it looks for", cn);
			else
				sb_add(b, "is not in a country it looks for");
		}
		return;
	}
	if (!c->eco_of && !c->tech_of && !c->ctry_asked) {
		sb_add(b, "does not say what it looks for");
		return;
	}
	if (c->eco_of > 0) {
		sb_add(b, "looks for %u ecosystem%s, %u of them '%s''s", c->eco_of,
		       c->eco_of == 1 ? "" : "s", c->eco_have, rn);
		if (c->eco_have) {
			sb_add(b, " (");
			sb_ecos(b, p->lf_eco & pl->ref->eco);
			sb_add(b, ")");
		}
		parts++;
	}
	if (c->tech_of > 0) {
		sb_add(b, "%s%zu technolog%s, %zu of them '%s''s",
		       parts ? "; " : "looks for ", c->tech_of,
		       c->tech_of == 1 ? "y" : "ies", c->tech_have, rn);
		if (c->tech_have) {
			size_t n;
			const uint32_t *v = list(p, L_LF_TECH, &n);
			sb_add(b, " (");
			sb_shared(b, pl, v, n, &pl->rset[L_TECH], c->tech_have);
			sb_add(b, ")");
		}
		parts++;
	}
	if (c->ctry_asked) {
		char cc[3];
		const char *cn = country_name(pl->ref->country, cc);
		sb_add(b, "%s", parts ? "; " : "");
		if (c->ctry_ok)
			sb_add(b, "looks for partners in %s, where '%s' is", cn, rn);
		else
			sb_add(b, "looks for partners in other countries than '%s''s",
			       rn);
	}
}

static void explain(sb *b, const plan *pl, const crit *c, const prof *p, memo *m)
{
	size_t n;
	const uint32_t *v;
	char cc[3];
	const char *cn;
	b->n = 0;
	b->buf[0] = '\0';
	switch (c->type) {
	case C_ECO: {
		unsigned q = popcount(pl->eco), k = popcount(p->eco & pl->eco);
		if (q == 1)
			sb_add(b, "%s the ecosystem ", k ? "is in" : "is not in");
		else if (k)
			sb_add(b, "shares %u of %u ecosystems: ", k, q);
		else
			sb_add(b, "shares none of the %u ecosystems", q);
		if (q == 1 || k)
			sb_ecos(b, q == 1 ? pl->eco : p->eco & pl->eco);
		break;
	}
	case C_SECT:
	case C_TECH:
	case C_EMERG:
	case C_VC: {
		int l = c->type - C_SECT + L_SECT;
		const idset *s = &pl->set[l];
		v = list(p, l, &n);
		size_t k = overlap(v, n, s);
		if (s->nq == 1 && k == 0) {
			sb_add(b, "does not have the %s ", set_noun[l][0]);
			sb_quote(b, s->first);
		} else if (k == 0) {
			sb_add(b, "shares none of the %zu %s", s->nq, set_noun[l][1]);
		} else {
			if (s->nq == 1)
				sb_add(b, "has the %s ", set_noun[l][0]);
			else
				sb_add(b, "shares %zu of %zu %s: ", k, s->nq,
				       set_noun[l][1]);
			sb_shared(b, pl, v, n, s, k);
		}
		break;
	}
	case C_CTRY:
		cn = country_name(p->country, cc);
		if (cn == NULL)
			sb_add(b, "its country is not known");
		else if (bit_get(pl->ctry, p->country))
			sb_add(b, "is in %s", cn);
		else
			sb_add(b, "is in %s, not in a country wanted", cn);
		break;
	case C_EXCL:
		cn = country_name(p->country, cc);
		if (cn == NULL)
			sb_add(b, "its country is not known, so not excluded");
		else
			sb_add(b, "is in %s, not an excluded country", cn);
		break;
	case C_NUTS: {
		int i = nuts_match(pl, p);
		const char *r = pstr(p, S_NUTS);
		if (i >= 0 && r[0] != '\0')
			sb_add(b, "its region %s is in %s", r, pl->nuts[i]);
		else if (i >= 0)
			sb_add(b, "is in %s (%s)", country_name(p->country, cc),
			       pl->nuts[i]);
		else if (r[0] != '\0')
			sb_add(b, "its region %s is not in a region wanted", r);
		else
			sb_add(b, "its region is not known");
		break;
	}
	case C_DIST: {
		if (!p->has_loc) {
			sb_add(b, "its location is not known");
			break;
		}
		sb_km(b, km_from_origin(pl, p));
		if (pl->origin != NULL)
			sb_add(b, " from '%s'", ref_name(pl->origin));
		else
			sb_add(b, " from %.4g, %.4g", pl->olat, pl->olon);
		sb_add(b,
		       chord2(pl, p) <= pl->chord2 ? " (within %g km)"
		                                   : " (more than %g km)",
		       pl->max_km);
		break;
	}
	case C_MEMB:
		sb_range(b, p->members, "members", pl->mmin, pl->mmax);
		break;
	case C_SMES:
		sb_range(b, p->smes, "SMEs", pl->smin, pl->smax);
		break;
	case C_LABEL:
		if (p->label == 0)
			sb_add(b, "has no label");
		else
			sb_add(b, "has the %s label", mm_label_names[p->label]);
		sb_add(b, " (at least %s wanted)", mm_label_names[pl->label]);
		break;
	case C_LANG: {
		v = list(p, L_LANG, &n);
		size_t k = lang_overlap(pl, p), shown = 0;
		if (k == 0) {
			sb_add(b, n ? "works in none of the languages wanted (it lists "
			            : "lists no languages");
			for (size_t i = 0; i < n && i < SHOW_LIST; i++) {
				code_str(v[i], 'a', cc);
				sb_add(b, "%s%s", i ? ", " : "", cc);
			}
			if (n)
				sb_add(b, ")");
			break;
		}
		sb_add(b, "works in ");
		for (size_t i = 0; i < n; i++) {
			if (!bit_get(pl->lang, v[i]))
				continue;
			code_str(v[i], 'a', cc);
			sb_add(b, "%s%s", shown++ ? ", " : "", cc);
		}
		break;
	}
	case C_TEXT:
		explain_text(b, pl, p);
		break;
	case C_SIM_ECO: {
		unsigned k = popcount(p->eco & pl->ref->eco),
		         u = popcount(p->eco | pl->ref->eco);
		if (k) {
			sb_add(b, "shares %u of the %u ecosystems the two list: ", k, u);
			sb_ecos(b, p->eco & pl->ref->eco);
		} else {
			sb_add(b, "shares none of the %u ecosystems the two list", u);
		}
		break;
	}
	case C_SIM_TECH:
	case C_SIM_SECT:
	case C_SIM_VC:
	case C_SIM_EMERG: {
		int l = c->type == C_SIM_TECH   ? L_TECH
		        : c->type == C_SIM_SECT ? L_SECT
		        : c->type == C_SIM_VC   ? L_VC
		                                : L_EMERG;
		v = list(p, l, &n);
		size_t k = overlap(v, n, &pl->rset[l]), u = n + pl->rset[l].n - k;
		if (k) {
			sb_add(b, "shares %zu of the %zu %s the two list: ", k, u,
			       set_noun[l][1]);
			sb_shared(b, pl, v, n, &pl->rset[l], k);
		} else {
			sb_add(b, "shares none of the %zu %s the two list", u,
			       set_noun[l][1]);
		}
		break;
	}
	case C_OFFERS:
		memo_comp(pl, p, m);
		explain_comp(b, pl, p, &m->offer, true);
		break;
	case C_WANTS:
		memo_comp(pl, p, m);
		explain_comp(b, pl, p, &m->want, false);
		break;
	case C_BOTH:
		memo_comp(pl, p, m);
		if (m->offer.score > 0 && m->want.score > 0)
			sb_add(b, "a match both ways: offers %.2f, looks for %.2f",
			       m->offer.score, m->want.score);
		else if (m->offer.score > 0)
			sb_add(b,
			       "one way only: offers what '%s' looks for, but looks for "
			       "nothing "
			       "it offers",
			       ref_name(pl->ref));
		else if (m->want.score > 0)
			sb_add(b,
			       "one way only: looks for what '%s' offers, but offers "
			       "nothing it "
			       "looks for",
			       ref_name(pl->ref));
		else
			sb_add(b, "no match either way");
		break;
	case C_COOP: {
		unsigned want = pl->ref->lf_coop, k = popcount(p->lf_coop & want);
		if (k == 0) {
			sb_add(
			    b,
			    "shares none of the %u kinds of cooperation '%s' looks for",
			    popcount(want), ref_name(pl->ref));
			break;
		}
		sb_add(b, "shares %u of the %u kinds of cooperation '%s' looks for: ", k,
		       popcount(want), ref_name(pl->ref));
		int shown = 0;
		for (int i = 1; i <= MM_COOPERATION_MAX; i++)
			if (p->lf_coop & want & (1u << i))
				sb_add(b, "%s%s", shown++ ? ", " : "",
				       mm_cooperation_names[i]);
		break;
	}
	}
}

/* ---- search -------------------------------------------------------------- */

/* How many profiles ahead of the one being checked a search fetches, and
 * at most how many cache lines of each. */
#define PREFETCH       8
#define PREFETCH_LINES 6

void mm_results_free(mm_results *out)
{
	if (out == NULL)
		return;
	if (out->mem != NULL) {
		eccp_arena_free(out->mem);
		free(out->mem);
	}
	memset(out, 0, sizeof(*out));
}

static void fill_result(const plan *pl, eccp_arena *a, const hent *e, mm_result *r)
{
	const prof *p = &pl->x->v[e->at];
	char cc[3] = "";
	if (p->country != NO_CODE)
		code_str(p->country, 'A', cc);
	r->id = eccp_arena_strdup(a, pstr(p, S_ID));
	r->name = eccp_arena_strdup(a, pstr(p, S_NAME));
	r->country = eccp_arena_strdup(a, cc);
	r->has_location = p->has_loc;
	const cold *cd = pcold(p);
	r->latitude = cd->lat;
	r->longitude = cd->lon;
	r->score = e->score;
	if (p->has_loc && pl->max_km > 0) {
		r->has_distance = true;
		r->distance_km = km_from_origin(pl, p);
	} else if (p->has_loc && pl->ref != NULL && pl->ref->has_loc) {
		r->has_distance = true;
		const cold *rc = pcold(pl->ref);
		r->distance_km = haversine_km(rc->lat, rc->lon, cd->lat, cd->lon);
	}
	mm_reason *rs = eccp_arena_alloc(a, pl->nc * sizeof(*rs));
	memo m = {0};
	sb b;
	for (size_t i = 0; i < pl->nc; i++) {
		const crit *c = &pl->c[i];
		rs[i].criterion = crit_name[c->type];
		rs[i].kind = c->use;
		rs[i].weight = c->weight;
		rs[i].score = c->use == MM_FILTER ? 1 : pref_score(pl, c->type, p, &m);
		explain(&b, pl, c, p, &m);
		rs[i].explanation = eccp_arena_strndup(a, b.buf, b.n);
	}
	r->reasons = rs;
	r->n_reasons = pl->nc;
}

int mm_partners_search(mm_partners *x, const mm_query *q, mm_results *out, char *err,
                       size_t errcap)
{
	memset(out, 0, sizeof(*out));
	if (errcap > 0)
		err[0] = '\0';
	if (x == NULL || q == NULL)
		return fail(err, errcap, "no index or no query");
	eccp_arena mem;
	eccp_arena_init(&mem);
	plan *pl = eccp_arena_alloc(&mem, sizeof(*pl));
	pl->mem = &mem;
	pl->ref_at = pl->origin_at = SIZE_MAX;

	pthread_rwlock_rdlock(&x->lock);
	pl->x = x;
	int rc = compile(pl, q, err, errcap);
	if (rc != 0)
		goto done;

	size_t limit = q->limit ? q->limit : MM_LIMIT_DEFAULT;
	size_t want = q->offset < x->n ? q->offset + limit : 0;
	heap hp = {.k = want < x->n ? want : x->n};
	hp.h = eccp_arena_alloc(&mem, (hp.k ? hp.k : 1) * sizeof(hent));
	size_t total = 0;
	for (size_t i = 0; i < x->n; i++) {
		/* Each profile's lists are an allocation of their own: ask for
		 * the lines that hold the lists this query reads, of a profile
		 * a few places ahead, so that they have arrived when it is its
		 * turn. Memory, not arithmetic, is what a search waits for. */
		if (i + PREFETCH < x->n && pl->list_hi >= 0) {
			const prof *f = &x->v[i + PREFETCH];
			uintptr_t a =
			    (uintptr_t)(f->ids + f->off[pl->list_lo]) & ~(uintptr_t)63;
			uintptr_t e = (uintptr_t)(f->ids + f->off[pl->list_hi + 1]);
			for (int k = 0; a < e && k < PREFETCH_LINES; a += 64, k++)
				__builtin_prefetch((const void *)a);
		}
		if (i == pl->ref_at || i == pl->origin_at)
			continue;
		const prof *p = &x->v[i];
		size_t f = 0;
		while (f < pl->nfilt && passes(pl, pl->c[pl->filt[f]].type, p))
			f++;
		if (f < pl->nfilt)
			continue;
		total++;
		heap_offer(pl, &hp, total_score(pl, p), i);
	}

	/* Best first: take the worst off the heap into the last place. */
	size_t kept = hp.n;
	while (hp.n > 0) {
		hent worst = hp.h[0];
		hp.h[0] = hp.h[--hp.n];
		sift_down(x, &hp, 0);
		hp.h[hp.n] = worst;
	}
	out->mem = malloc(sizeof(eccp_arena));
	if (out->mem == NULL) {
		rc = fail(err, errcap, "out of memory");
		goto done;
	}
	eccp_arena_init(out->mem);
	out->total = total;
	if (kept > q->offset) {
		out->n = kept - q->offset;
		out->items = eccp_arena_alloc(out->mem, out->n * sizeof(mm_result));
		for (size_t i = 0; i < out->n; i++)
			fill_result(pl, out->mem, &hp.h[q->offset + i], &out->items[i]);
	}
done:
	pthread_rwlock_unlock(&x->lock);
	eccp_arena_free(&mem);
	return rc;
}
