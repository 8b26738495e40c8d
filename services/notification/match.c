/* The subscription matching index (see match.h).
 *
 * A subscription is compiled into one allocation holding its filter folded
 * (sub). It is filed under keys "<letter>:<value>" of its anchor dimension
 * in an open-addressing hash table whose entries (bucket) hold the list of
 * subscriptions filed there; a subscription remembers its place in each list
 * (sub.pos), so it is taken out by moving the list's last entry into its
 * place. Subscriptions live in slots; a slot's "seen" mark, compared with a
 * counter bumped at every match, keeps a subscription reached by several of
 * an item's keys from being checked twice.
 *
 * An item is prepared once per match (prep): its programme, technologies and
 * countries folded, and the distinct words of its text in a small hash set
 * that the keyword check looks words up in. Its buffers are kept in the index
 * and reused. */
#include "match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define NONE         UINT32_MAX
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- hashing ------------------------------------------------------------- */

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME  1099511628211ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Spreads the bits of h over the low bits the tables index with. */
static uint64_t mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static uint64_t word_hash(const char *s, size_t n)
{
	return mix(fnv(FNV_OFFSET, s, n));
}

/* A key of the index: "<prefix><kind><s[0..n)>", not necessarily in one
 * piece; kind is the content kind as a digit, so an item only finds the
 * subscriptions that want its kind. */
/* The longest value a pair key is made of: a subscription whose values of
 * a dimension are longer is not filed under pairs of that dimension. */
#define PAIR_VALUE_MAX 120

typedef struct key {
	char prefix;
	char kind;
	const char *s;
	size_t n;
	char num[16];                      /* the value when it is a number */
	char pair[2 * PAIR_VALUE_MAX + 2]; /* the value when it is a pair */
} key;

static uint64_t key_hash(const key *k)
{
	char head[2] = {k->prefix, k->kind};
	return mix(fnv(fnv(FNV_OFFSET, head, 2), k->s, k->n));
}

static bool key_str(key *k, char prefix, const char *s)
{
	k->prefix = prefix;
	k->kind = ':';
	k->s = s;
	k->n = strlen(s);
	return k->n > 0;
}

static bool key_num(key *k, char prefix, int v)
{
	k->prefix = prefix;
	k->kind = ':';
	int n = snprintf(k->num, sizeof(k->num), "%d", v);
	k->s = k->num;
	k->n = (size_t)n;
	return true;
}

/* A key of two values, "<a> 0x1f <b>" (prefix: the pair's letter); false
 * when either is empty or too long. */
static bool key_pair(key *k, char prefix, const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na == 0 || nb == 0 || na > PAIR_VALUE_MAX || nb > PAIR_VALUE_MAX)
		return false;
	memcpy(k->pair, a, na);
	k->pair[na] = 0x1f;
	memcpy(k->pair + na + 1, b, nb);
	k->prefix = prefix;
	k->kind = ':';
	k->s = k->pair;
	k->n = na + 1 + nb;
	return true;
}

/* An ecosystem as a key's value. */
static const char *eco_str(int v, char buf[16])
{
	snprintf(buf, 16, "%d", v);
	return buf;
}

/* The band of a positive amount: the exponent of the largest power of two
 * not above it (0 for 1, 10 for 1,024 to 2,047). A subscription with a
 * minimum budget is filed under its minimum's band; a call looks up its own
 * budget's band and every band below: all the subscriptions it may match,
 * and only those of its own band that it may not. */
static int budget_band(int64_t v)
{
	int b = 0;
	while (v > 1) {
		v >>= 1;
		b++;
	}
	return b;
}

/* ---- compiled subscriptions ---------------------------------------------- */

/* Anchor dimensions: one of a filter's dimensions, or a pair of them (the
 * subscription is filed under every combination of a value of the first
 * and a value of the second), or the kind alone. */
enum {
	A_PROGRAMME,
	A_KEYWORD,
	A_TECHNOLOGY,
	A_COUNTRY,
	A_ECOSYSTEM,
	A_KIND,
	A_PROG_ECO,
	A_PROG_COUNTRY,
	A_COUNTRY_ECO,
	A_WORD_PROG,
	A_WORD_ECO,
	A_BUDGET, /* the power of two at or below the minimum budget */
	A_COUNT
};

/* The share of items that have a given value of a dimension, as a rough
 * guide: a word or a technology is rare, a programme or an ecosystem is
 * shared by many items, a country by more (a call is often open to all
 * member states). A subscription is filed under the anchor whose keys the
 * fewest items are expected to reach: its number of keys times this share
 * (times the second dimension's share, for a pair). */
static const double dim_share[] = {
    [A_PROGRAMME] = 0.15,
    [A_KEYWORD] = 0.01,
    [A_TECHNOLOGY] = 0.02,
    [A_COUNTRY] = 0.3,
    [A_ECOSYSTEM] = 0.15,
    [A_KIND] = 1.0,
    /* a minimum budget: about half the calls have as much, or more */
    [A_BUDGET] = 0.5,
};

/* Keys a subscription may have at most under a pair anchor. */
#define PAIR_KEYS_MAX 64

typedef struct keyword {
	const char **words; /* folded */
	size_t n;
	size_t anchor; /* the longest word: the one it is filed under */
} keyword;

typedef struct sub {
	uint64_t id;
	int64_t min_budget;
	const int *kinds;
	size_t n_kinds;
	const int *ecosystems;
	size_t n_ecosystems;
	const char **technologies; /* folded, as are the next two */
	size_t n_technologies;
	const char **countries;
	size_t n_countries;
	const char **programmes;
	size_t n_programmes;
	keyword *keywords;
	size_t n_keywords;
	int anchor; /* A_* */
	size_t n_keys;
	/* Per key of the anchor dimension: the subscription's place in that
	 * key's list, NONE when it is not filed there (no such value, or the
	 * same key as an earlier value). */
	uint32_t *pos;
} sub;

static size_t slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t strs_bytes(const char *const *v, size_t n)
{
	size_t b = 0;
	for (size_t i = 0; i < n; i++)
		b += slen(v[i]) + 1;
	return b;
}

/* Folds each of v into *cur, pointing out[i] at the result. */
static void fold_all(const char *const *v, size_t n, const char **out, char **cur)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i] != NULL ? v[i] : "";
		out[i] = *cur;
		*cur += eccp_text_fold(s, *cur, strlen(s) + 1) + 1;
	}
}

typedef struct word_copy {
	char *cur, *end;
	const char **words;
	size_t n, max;
} word_copy;

static void copy_word(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	(void)start;
	(void)end;
	word_copy *c = arg;
	if (c->n == c->max || (size_t)(c->end - c->cur) < n + 1)
		return;
	memcpy(c->cur, tok, n + 1);
	c->words[c->n++] = c->cur;
	c->cur += n + 1;
}

static size_t sub_kinds(const sub *s)
{
	return s->n_kinds > 0 ? s->n_kinds : 1;
}

static int sub_kind(const sub *s, size_t i)
{
	return s->n_kinds > 0 ? s->kinds[i] : NF_KIND_CALL;
}

/* The values of the anchor dimension; each is filed once per kind. */
static size_t sub_values(const sub *s)
{
	switch (s->anchor) {
	case A_PROG_ECO:
		return s->n_programmes * s->n_ecosystems;
	case A_PROG_COUNTRY:
		return s->n_programmes * s->n_countries;
	case A_COUNTRY_ECO:
		return s->n_countries * s->n_ecosystems;
	case A_WORD_PROG:
		return s->n_keywords * s->n_programmes;
	case A_WORD_ECO:
		return s->n_keywords * s->n_ecosystems;
	case A_PROGRAMME:
		return s->n_programmes;
	case A_KEYWORD:
		return s->n_keywords;
	case A_TECHNOLOGY:
		return s->n_technologies;
	case A_COUNTRY:
		return s->n_countries;
	case A_ECOSYSTEM:
		return s->n_ecosystems;
	default:
		return 1;
	}
}

static size_t sub_key_count(const sub *s)
{
	return sub_values(s) * sub_kinds(s);
}

/* The k-th key s is filed under; false when that value matches nothing (it
 * folds to nothing). */
static bool sub_key(const sub *s, size_t kk, key *out)
{
	size_t k = kk / sub_kinds(s);
	int kind = sub_kind(s, kk % sub_kinds(s));
	bool ok;
	char eb[16];
	/* a pair's k-th value: (k / n2)-th of the first, (k % n2)-th of the second */
	size_t n2 = s->anchor == A_PROG_COUNTRY ? s->n_countries
	            : s->anchor == A_WORD_PROG  ? s->n_programmes
	            : s->anchor == A_PROG_ECO || s->anchor == A_COUNTRY_ECO ||
	                    s->anchor == A_WORD_ECO
	                ? s->n_ecosystems
	                : 1;
	size_t i1 = k / (n2 ? n2 : 1), i2 = k % (n2 ? n2 : 1);
	const keyword *kw =
	    s->anchor == A_WORD_PROG || s->anchor == A_WORD_ECO ? &s->keywords[i1] : NULL;
	switch (s->anchor) {
	case A_PROG_ECO:
		ok =
		    key_pair(out, 'P', s->programmes[i1], eco_str(s->ecosystems[i2], eb));
		break;
	case A_PROG_COUNTRY:
		ok = key_pair(out, 'Q', s->programmes[i1], s->countries[i2]);
		break;
	case A_COUNTRY_ECO:
		ok = key_pair(out, 'C', s->countries[i1], eco_str(s->ecosystems[i2], eb));
		break;
	case A_WORD_PROG:
		ok = kw->n > 0 &&
		     key_pair(out, 'W', kw->words[kw->anchor], s->programmes[i2]);
		break;
	case A_WORD_ECO:
		ok = kw->n > 0 && key_pair(out, 'X', kw->words[kw->anchor],
		                           eco_str(s->ecosystems[i2], eb));
		break;
	case A_PROGRAMME:
		ok = key_str(out, 'p', s->programmes[k]);
		break;
	case A_KEYWORD:
		ok = s->keywords[k].n > 0 &&
		     key_str(out, 'w', s->keywords[k].words[s->keywords[k].anchor]);
		break;
	case A_TECHNOLOGY:
		ok = key_str(out, 't', s->technologies[k]);
		break;
	case A_COUNTRY:
		ok = key_str(out, 'c', s->countries[k]);
		break;
	case A_ECOSYSTEM:
		ok = key_num(out, 'e', s->ecosystems[k]);
		break;
	case A_BUDGET:
		ok = key_num(out, 'b', budget_band(s->min_budget));
		break;
	default:
		ok = key_num(out, 'k', kind);
	}
	out->kind = (char)('0' + (kind & 7));
	return ok;
}

/* Whether every value of v could be part of a pair key. */
static bool pairable(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (slen(v[i]) > PAIR_VALUE_MAX)
			return false;
	return true;
}

/* The anchor of a filter with the counts in probe: the one with the
 * fewest expected items reaching its keys (see dim_share); among equals,
 * the first in the order of the enum. */
static int choose_anchor(const nf_filter *f, const sub *probe)
{
	size_t n[A_KIND] = {
	    [A_PROGRAMME] = probe->n_programmes,    [A_KEYWORD] = probe->n_keywords,
	    [A_TECHNOLOGY] = probe->n_technologies, [A_COUNTRY] = probe->n_countries,
	    [A_ECOSYSTEM] = probe->n_ecosystems,
	};
	int best = A_KIND;
	double best_cost = dim_share[A_KIND];
	for (int a = A_PROGRAMME; a < A_KIND; a++) {
		double cost = (double)n[a] * dim_share[a];
		if (n[a] > 0 && cost < best_cost) {
			best = a;
			best_cost = cost;
		}
	}
	/* keywords are paired by their longest word, which is never longer
	 * than the keyword */
	bool ok_prog = pairable(f->programmes, probe->n_programmes);
	bool ok_country = pairable(f->countries, probe->n_countries);
	bool ok_word = pairable(f->keywords, probe->n_keywords);
	static const struct {
		int anchor, a, b;
	} pairs[] = {
	    {A_PROG_ECO, A_PROGRAMME, A_ECOSYSTEM},
	    {A_PROG_COUNTRY, A_PROGRAMME, A_COUNTRY},
	    {A_COUNTRY_ECO, A_COUNTRY, A_ECOSYSTEM},
	    {A_WORD_PROG, A_KEYWORD, A_PROGRAMME},
	    {A_WORD_ECO, A_KEYWORD, A_ECOSYSTEM},
	};
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
		int a = pairs[i].a, b = pairs[i].b;
		size_t keys = n[a] * n[b];
		bool ok = (a != A_PROGRAMME || ok_prog) &&
		          (b != A_PROGRAMME || ok_prog) &&
		          (a != A_COUNTRY || ok_country) &&
		          (b != A_COUNTRY || ok_country) && (a != A_KEYWORD || ok_word);
		double cost = (double)keys * dim_share[a] * dim_share[b];
		if (ok && keys > 0 && keys <= PAIR_KEYS_MAX && cost < best_cost) {
			best = pairs[i].anchor;
			best_cost = cost;
		}
	}
	if (f->min_budget_eur > 0 && dim_share[A_BUDGET] < best_cost)
		best = A_BUDGET;
	return best;
}

/* The filter f compiled into one allocation (free with free()), or NULL when
 * out of memory. */
static sub *sub_compile(uint64_t id, const nf_filter *f)
{
	size_t n_kinds = f->kinds != NULL ? f->n_kinds : 0;
	size_t n_ecos = f->ecosystems != NULL ? f->n_ecosystems : 0;
	size_t n_techs = f->technologies != NULL ? f->n_technologies : 0;
	size_t n_countries = f->countries != NULL ? f->n_countries : 0;
	size_t n_progs = f->programmes != NULL ? f->n_programmes : 0;
	size_t n_kws = f->keywords != NULL ? f->n_keywords : 0;

	size_t n_words = 0;
	for (size_t i = 0; i < n_kws; i++)
		n_words +=
		    eccp_text_tokens(f->keywords[i], slen(f->keywords[i]), NULL, NULL);

	sub probe = {
	    .n_kinds = n_kinds,
	    .n_ecosystems = n_ecos,
	    .n_technologies = n_techs,
	    .n_countries = n_countries,
	    .n_programmes = n_progs,
	    .n_keywords = n_kws,
	};
	probe.anchor = choose_anchor(f, &probe);
	size_t n_keys = sub_key_count(&probe);
	if (n_keys >= NONE)
		return NULL;

	/* Pointers first, then 4-byte values, then bytes: every part is
	 * aligned for what it holds. */
	size_t off = sizeof(sub);
	size_t o_strs = off;
	off += (n_techs + n_countries + n_progs + n_words) * sizeof(char *);
	size_t o_kws = off;
	off += n_kws * sizeof(keyword);
	size_t o_pos = off;
	off += n_keys * sizeof(uint32_t);
	size_t o_ints = off;
	off += (n_kinds + n_ecos) * sizeof(int);
	size_t o_chars = off;
	size_t kw_bytes = strs_bytes(f->keywords, n_kws);
	off += strs_bytes(f->technologies, n_techs) +
	       strs_bytes(f->countries, n_countries) +
	       strs_bytes(f->programmes, n_progs) + kw_bytes;

	char *mem = malloc(off);
	if (mem == NULL)
		return NULL;
	sub *s = (sub *)(void *)mem;
	*s = probe;
	s->id = id;
	s->min_budget = f->min_budget_eur;
	s->n_keys = n_keys;

	const char **strs = (const char **)(void *)(mem + o_strs);
	s->technologies = strs;
	s->countries = strs + n_techs;
	s->programmes = strs + n_techs + n_countries;
	const char **words = strs + n_techs + n_countries + n_progs;
	s->keywords = (keyword *)(void *)(mem + o_kws);
	s->pos = (uint32_t *)(void *)(mem + o_pos);
	for (size_t i = 0; i < n_keys; i++)
		s->pos[i] = NONE;
	int *ints = (int *)(void *)(mem + o_ints);
	if (n_kinds > 0)
		memcpy(ints, f->kinds, n_kinds * sizeof(int));
	if (n_ecos > 0)
		memcpy(ints + n_kinds, f->ecosystems, n_ecos * sizeof(int));
	s->kinds = ints;
	s->ecosystems = ints + n_kinds;

	char *cur = mem + o_chars;
	fold_all(f->technologies, n_techs, s->technologies, &cur);
	fold_all(f->countries, n_countries, s->countries, &cur);
	fold_all(f->programmes, n_progs, s->programmes, &cur);

	/* A keyword's words with their NULs take no more room than the
	 * keyword: folding never makes text longer. */
	word_copy c = {.cur = cur, .end = cur + kw_bytes, .words = words, .max = n_words};
	for (size_t i = 0; i < n_kws; i++) {
		keyword *kw = &s->keywords[i];
		size_t first = c.n;
		eccp_text_tokens(f->keywords[i], slen(f->keywords[i]), copy_word, &c);
		kw->words = words + first;
		kw->n = c.n - first;
		kw->anchor = 0;
		for (size_t j = 1; j < kw->n; j++)
			if (strlen(kw->words[j]) > strlen(kw->words[kw->anchor]))
				kw->anchor = j;
	}
	return s;
}

/* ---- prepared items ------------------------------------------------------ */

typedef struct word_slot {
	uint64_t hash;
	uint32_t gen; /* the slot is used when it is prep.gen */
	uint32_t str; /* index in prep.offs */
} word_slot;

typedef struct prep {
	int kind;
	int64_t budget;
	const int *ecosystems; /* the caller's */
	size_t n_ecosystems;
	/* Folded strings, NUL-terminated, at the offsets in offs: the programme
	 * ([0]), the technologies, the countries, the distinct words of the
	 * text. */
	char *buf;
	size_t buf_cap, used;
	size_t *offs;
	size_t n_offs, offs_cap;
	size_t n_technologies, n_countries, n_words;
	/* The distinct words: open addressing over word_slot. */
	word_slot *set;
	size_t set_cap;
	uint32_t gen;
	bool oom;
} prep;

static const char *prep_str(const prep *p, size_t i)
{
	return p->buf + p->offs[i];
}

static size_t prep_tech0(const prep *p)
{
	(void)p;
	return 1;
}

static size_t prep_country0(const prep *p)
{
	return 1 + p->n_technologies;
}

static size_t prep_word0(const prep *p)
{
	return 1 + p->n_technologies + p->n_countries;
}

static void prep_free(prep *p)
{
	free(p->buf);
	free(p->offs);
	free(p->set);
}

/* Appends an offset for a string of n bytes (NUL excluded) about to be
 * written at p->used; false when out of memory. */
static bool prep_push(prep *p, size_t n)
{
	if (p->n_offs == p->offs_cap) {
		size_t cap = p->offs_cap > 0 ? p->offs_cap * 2 : 64;
		size_t *o = realloc(p->offs, cap * sizeof(*o));
		if (o == NULL) {
			p->oom = true;
			return false;
		}
		p->offs = o;
		p->offs_cap = cap;
	}
	p->offs[p->n_offs++] = p->used;
	p->used += n + 1;
	return true;
}

static void prep_fold(prep *p, const char *s)
{
	if (s == NULL)
		s = "";
	char *out = p->buf + p->used;
	size_t n = eccp_text_fold(s, out, strlen(s) + 1);
	prep_push(p, n);
}

/* The slot of word w (hash h) in the set, or the free slot where it goes. */
static size_t set_find(const prep *p, const char *w, uint64_t h)
{
	size_t mask = p->set_cap - 1;
	size_t i = (size_t)h & mask;
	while (p->set[i].gen == p->gen) {
		if (p->set[i].hash == h && strcmp(prep_str(p, p->set[i].str), w) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

static bool set_grow(prep *p)
{
	size_t cap = p->set_cap * 2;
	word_slot *t = calloc(cap, sizeof(*t));
	if (t == NULL)
		return false;
	for (size_t i = 0; i < p->set_cap; i++) {
		if (p->set[i].gen != p->gen)
			continue;
		size_t j = (size_t)p->set[i].hash & (cap - 1);
		while (t[j].gen == p->gen)
			j = (j + 1) & (cap - 1);
		t[j] = p->set[i];
	}
	free(p->set);
	p->set = t;
	p->set_cap = cap;
	return true;
}

static void prep_word(void *arg, const char *tok, size_t n, size_t start, size_t end)
{
	(void)start;
	(void)end;
	prep *p = arg;
	if (p->oom || p->used + n + 1 > p->buf_cap)
		return;
	uint64_t h = word_hash(tok, n);
	size_t i = set_find(p, tok, h);
	if (p->set[i].gen == p->gen)
		return;
	if ((p->n_words + 1) * 2 > p->set_cap) {
		if (!set_grow(p)) {
			p->oom = true;
			return;
		}
		i = set_find(p, tok, h);
	}
	uint32_t str = (uint32_t)p->n_offs;
	memcpy(p->buf + p->used, tok, n + 1);
	if (!prep_push(p, n))
		return;
	p->set[i] = (word_slot){.hash = h, .gen = p->gen, .str = str};
	p->n_words++;
}

/* Prepares it for checks, with the words of its text when words is set; 0,
 * or -1 when out of memory. */
static int prep_build(prep *p, const nf_item *it, bool words)
{
	const char *text = it->text != NULL && words ? it->text : "";
	size_t text_len = strlen(text);
	size_t n_techs = it->technologies != NULL ? it->n_technologies : 0;
	size_t n_countries = it->countries != NULL ? it->n_countries : 0;

	/* The folded strings take no more room than the originals with a NUL
	 * each, the distinct words no more than the text and a NUL. */
	size_t need = slen(it->programme) + 1 + strs_bytes(it->technologies, n_techs) +
	              strs_bytes(it->countries, n_countries) + text_len + 1;
	if (need > p->buf_cap) {
		char *b = malloc(need);
		if (b == NULL)
			return -1;
		free(p->buf);
		p->buf = b;
		p->buf_cap = need;
	}
	if (p->set == NULL && words) {
		p->set = calloc(64, sizeof(*p->set));
		if (p->set == NULL)
			return -1;
		p->set_cap = 64;
	}
	if (++p->gen == 0) {
		if (p->set != NULL)
			memset(p->set, 0, p->set_cap * sizeof(*p->set));
		p->gen = 1;
	}

	p->kind = it->kind;
	p->budget = it->budget_eur;
	p->ecosystems = it->ecosystems;
	p->n_ecosystems = it->ecosystems != NULL ? it->n_ecosystems : 0;
	p->used = 0;
	p->n_offs = 0;
	p->n_words = 0;
	p->oom = false;
	p->n_technologies = n_techs;
	p->n_countries = n_countries;

	prep_fold(p, it->programme);
	for (size_t i = 0; i < n_techs; i++)
		prep_fold(p, it->technologies[i]);
	for (size_t i = 0; i < n_countries; i++)
		prep_fold(p, it->countries[i]);
	if (p->oom)
		return -1;
	eccp_text_tokens(text, text_len, prep_word, p);
	return p->oom ? -1 : 0;
}

static bool prep_has_word(const prep *p, const char *w)
{
	uint64_t h = word_hash(w, strlen(w));
	return p->set[set_find(p, w, h)].gen == p->gen;
}

/* ---- the rule ------------------------------------------------------------ */

static bool has_int(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Whether one of the folded values v is one of the prepared strings
 * [first, first + n). */
static bool has_common(const char **v, size_t nv, const prep *p, size_t first, size_t n)
{
	for (size_t i = 0; i < nv; i++) {
		if (v[i][0] == '\0')
			continue;
		for (size_t j = first; j < first + n; j++)
			if (strcmp(v[i], prep_str(p, j)) == 0)
				return true;
	}
	return false;
}

static bool keyword_found(const keyword *kw, const prep *p)
{
	if (kw->n == 0)
		return false;
	/* The anchor word first: the rarest guess, and for a candidate
	 * reached through it, already known to be there. */
	if (!prep_has_word(p, kw->words[kw->anchor]))
		return false;
	for (size_t i = 0; i < kw->n; i++)
		if (i != kw->anchor && !prep_has_word(p, kw->words[i]))
			return false;
	return true;
}

/* The part of the rule that needs no folding: kind, budget, ecosystems. */
static bool plain_check(const int *kinds, size_t n_kinds, const int *ecosystems,
                        size_t n_ecosystems, int64_t min_budget, int kind,
                        const int *it_ecosystems, size_t it_n_ecosystems, int64_t budget)
{
	if (n_kinds == 0 ? kind != NF_KIND_CALL : !has_int(kinds, n_kinds, kind))
		return false;
	if (min_budget > 0 &&
	    (kind != NF_KIND_CALL || budget <= 0 || budget < min_budget))
		return false;
	if (n_ecosystems > 0) {
		for (size_t i = 0; i < it_n_ecosystems; i++)
			if (has_int(ecosystems, n_ecosystems, it_ecosystems[i]))
				return true;
		return false;
	}
	return true;
}

static bool sub_check(const sub *s, const prep *p)
{
	if (!plain_check(s->kinds, s->n_kinds, s->ecosystems, s->n_ecosystems,
	                 s->min_budget, p->kind, p->ecosystems, p->n_ecosystems,
	                 p->budget))
		return false;
	if (s->n_programmes > 0 && !has_common(s->programmes, s->n_programmes, p, 0, 1))
		return false;
	if (s->n_technologies > 0 && !has_common(s->technologies, s->n_technologies, p,
	                                         prep_tech0(p), p->n_technologies))
		return false;
	if (s->n_countries > 0 && !has_common(s->countries, s->n_countries, p,
	                                      prep_country0(p), p->n_countries))
		return false;
	if (s->n_keywords > 0) {
		bool any = false;
		for (size_t i = 0; i < s->n_keywords && !any; i++)
			any = keyword_found(&s->keywords[i], p);
		if (!any)
			return false;
	}
	return true;
}

bool nf_filter_matches(const nf_filter *f, const nf_item *it)
{
	if (!plain_check(f->kinds, f->kinds != NULL ? f->n_kinds : 0, f->ecosystems,
	                 f->ecosystems != NULL ? f->n_ecosystems : 0, f->min_budget_eur,
	                 it->kind, it->ecosystems,
	                 it->ecosystems != NULL ? it->n_ecosystems : 0, it->budget_eur))
		return false;
	sub *s = sub_compile(0, f);
	if (s == NULL)
		return false;
	prep p = {0};
	bool ok = prep_build(&p, it, s->n_keywords > 0) == 0 && sub_check(s, &p);
	prep_free(&p);
	free(s);
	return ok;
}

/* ---- the index ----------------------------------------------------------- */

typedef struct ref {
	uint32_t slot;
	uint32_t k; /* which of the subscription's keys */
} ref;

typedef struct bucket {
	char *key; /* "<prefix>:<value>"; NULL: free */
	size_t keylen;
	uint64_t hash;
	ref *refs;
	uint32_t n, cap;
} bucket;

typedef struct id_slot {
	uint64_t id;
	uint32_t slot; /* NONE: free */
} id_slot;

struct nf_index {
	bucket *keys;
	size_t keys_cap, keys_n;
	id_slot *ids;
	size_t ids_cap, ids_n;
	sub **subs;     /* by slot; NULL: free */
	uint32_t *seen; /* by slot: the match that last reached it */
	uint32_t *freed;
	size_t n_slots, slots_cap, n_freed;
	uint32_t gen;
	size_t shapes[A_COUNT]; /* subscriptions filed under each kind of anchor */
	prep prep;
};

nf_index *nf_index_new(void)
{
	return calloc(1, sizeof(nf_index));
}

void nf_index_free(nf_index *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->keys_cap; i++) {
		free(x->keys[i].key);
		free(x->keys[i].refs);
	}
	free(x->keys);
	free(x->ids);
	for (size_t i = 0; i < x->n_slots; i++)
		free(x->subs[i]);
	free(x->subs);
	free(x->seen);
	free(x->freed);
	prep_free(&x->prep);
	free(x);
}

size_t nf_index_count(const nf_index *x)
{
	return x->ids_n;
}

/* -- keys -- */

static size_t keys_find(const nf_index *x, const key *k, uint64_t h)
{
	if (x->keys_cap == 0)
		return SIZE_MAX;
	size_t mask = x->keys_cap - 1;
	for (size_t i = (size_t)h & mask; x->keys[i].key != NULL; i = (i + 1) & mask) {
		const bucket *b = &x->keys[i];
		if (b->hash == h && b->keylen == k->n + 2 && b->key[0] == k->prefix &&
		    b->key[1] == k->kind && memcmp(b->key + 2, k->s, k->n) == 0)
			return i;
	}
	return SIZE_MAX;
}

static size_t keys_free_slot(const bucket *t, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);
	while (t[i].key != NULL)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Room for one more key (at most 3/4 full); 0 or -1. */
static int keys_reserve(nf_index *x)
{
	if ((x->keys_n + 1) * 4 <= x->keys_cap * 3)
		return 0;
	size_t cap = x->keys_cap > 0 ? x->keys_cap * 2 : 64;
	bucket *t = calloc(cap, sizeof(*t));
	if (t == NULL)
		return -1;
	for (size_t i = 0; i < x->keys_cap; i++)
		if (x->keys[i].key != NULL)
			t[keys_free_slot(t, cap, x->keys[i].hash)] = x->keys[i];
	free(x->keys);
	x->keys = t;
	x->keys_cap = cap;
	return 0;
}

/* Frees bucket i and moves later entries of its run back so that lookups
 * need no tombstones. */
static void keys_delete(nf_index *x, size_t i)
{
	size_t mask = x->keys_cap - 1;
	free(x->keys[i].key);
	free(x->keys[i].refs);
	for (size_t j = (i + 1) & mask; x->keys[j].key != NULL; j = (j + 1) & mask) {
		size_t home = (size_t)x->keys[j].hash & mask;
		/* The entry at j may fill i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			x->keys[i] = x->keys[j];
			i = j;
		}
	}
	x->keys[i] = (bucket){0};
	x->keys_n--;
}

/* Files the subscription in slot under its k-th key; 0 or -1. */
static int file_key(nf_index *x, uint32_t slot, size_t k)
{
	sub *s = x->subs[slot];
	key kk;
	if (!sub_key(s, k, &kk))
		return 0;
	uint64_t h = key_hash(&kk);
	size_t i = keys_find(x, &kk, h);
	if (i == SIZE_MAX) {
		if (keys_reserve(x) != 0)
			return -1;
		char *str = malloc(kk.n + 3);
		ref *refs = malloc(sizeof(*refs));
		if (str == NULL || refs == NULL) {
			free(str);
			free(refs);
			return -1;
		}
		str[0] = kk.prefix;
		str[1] = kk.kind;
		memcpy(str + 2, kk.s, kk.n);
		str[kk.n + 2] = '\0';
		i = keys_free_slot(x->keys, x->keys_cap, h);
		x->keys[i] = (bucket){
		    .key = str, .keylen = kk.n + 2, .hash = h, .refs = refs, .cap = 1};
		x->keys_n++;
	}
	bucket *b = &x->keys[i];
	/* The subscription's keys are filed one after the other: the same key
	 * for an earlier value left it last in the list. */
	if (b->n > 0 && b->refs[b->n - 1].slot == slot)
		return 0;
	if (b->n == b->cap) {
		if (b->cap > UINT32_MAX / 2)
			return -1;
		ref *r = realloc(b->refs, (size_t)b->cap * 2 * sizeof(*r));
		if (r == NULL)
			return -1;
		b->refs = r;
		b->cap *= 2;
	}
	b->refs[b->n] = (ref){.slot = slot, .k = (uint32_t)k};
	s->pos[k] = b->n++;
	return 0;
}

static void unfile_key(nf_index *x, uint32_t slot, size_t k)
{
	sub *s = x->subs[slot];
	if (s->pos[k] == NONE)
		return;
	key kk;
	sub_key(s, k, &kk);
	size_t i = keys_find(x, &kk, key_hash(&kk));
	bucket *b = &x->keys[i];
	uint32_t at = s->pos[k];
	ref last = b->refs[--b->n];
	if (at != b->n) {
		b->refs[at] = last;
		x->subs[last.slot]->pos[last.k] = at;
	}
	s->pos[k] = NONE;
	if (b->n == 0) {
		keys_delete(x, i);
	} else if (b->cap >= 16 && b->n <= b->cap / 4) {
		ref *r = realloc(b->refs, (size_t)(b->cap / 2) * sizeof(*r));
		if (r != NULL) {
			b->refs = r;
			b->cap /= 2;
		}
	}
}

static void unfile_all(nf_index *x, uint32_t slot)
{
	for (size_t k = 0; k < x->subs[slot]->n_keys; k++)
		unfile_key(x, slot, k);
}

/* -- ids -- */

static size_t ids_find(const nf_index *x, uint64_t id)
{
	if (x->ids_cap == 0)
		return SIZE_MAX;
	size_t mask = x->ids_cap - 1;
	for (size_t i = (size_t)mix(id) & mask; x->ids[i].slot != NONE;
	     i = (i + 1) & mask)
		if (x->ids[i].id == id)
			return i;
	return SIZE_MAX;
}

static size_t ids_free_slot(const id_slot *t, size_t cap, uint64_t id)
{
	size_t i = (size_t)mix(id) & (cap - 1);
	while (t[i].slot != NONE)
		i = (i + 1) & (cap - 1);
	return i;
}

static int ids_reserve(nf_index *x)
{
	if ((x->ids_n + 1) * 4 <= x->ids_cap * 3)
		return 0;
	size_t cap = x->ids_cap > 0 ? x->ids_cap * 2 : 64;
	id_slot *t = malloc(cap * sizeof(*t));
	if (t == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		t[i].slot = NONE;
	for (size_t i = 0; i < x->ids_cap; i++)
		if (x->ids[i].slot != NONE)
			t[ids_free_slot(t, cap, x->ids[i].id)] = x->ids[i];
	free(x->ids);
	x->ids = t;
	x->ids_cap = cap;
	return 0;
}

static void ids_delete(nf_index *x, size_t i)
{
	size_t mask = x->ids_cap - 1;
	for (size_t j = (i + 1) & mask; x->ids[j].slot != NONE; j = (j + 1) & mask) {
		size_t home = (size_t)mix(x->ids[j].id) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			x->ids[i] = x->ids[j];
			i = j;
		}
	}
	x->ids[i].slot = NONE;
	x->ids_n--;
}

/* -- slots -- */

static uint32_t slot_take(nf_index *x)
{
	if (x->n_freed > 0)
		return x->freed[--x->n_freed];
	if (x->n_slots == x->slots_cap) {
		size_t cap = x->slots_cap > 0 ? x->slots_cap * 2 : 64;
		if (cap >= NONE)
			return NONE;
		sub **s = realloc(x->subs, cap * sizeof(*s));
		if (s == NULL)
			return NONE;
		x->subs = s;
		uint32_t *seen = realloc(x->seen, cap * sizeof(*seen));
		if (seen == NULL)
			return NONE;
		x->seen = seen;
		uint32_t *freed = realloc(x->freed, cap * sizeof(*freed));
		if (freed == NULL)
			return NONE;
		x->freed = freed;
		x->slots_cap = cap;
	}
	x->seen[x->n_slots] = 0;
	return (uint32_t)x->n_slots++;
}

static void slot_give(nf_index *x, uint32_t slot)
{
	x->subs[slot] = NULL;
	x->freed[x->n_freed++] = slot;
}

/* Takes the subscription in slot out of the index and frees it. */
static void slot_drop(nf_index *x, uint32_t slot)
{
	x->shapes[x->subs[slot]->anchor]--;
	unfile_all(x, slot);
	free(x->subs[slot]);
	slot_give(x, slot);
}

int nf_index_add(nf_index *x, uint64_t id, const nf_filter *f)
{
	sub *s = sub_compile(id, f);
	if (s == NULL)
		return -1;
	size_t at = ids_find(x, id);
	if (at == SIZE_MAX && ids_reserve(x) != 0)
		goto fail;
	uint32_t slot = slot_take(x);
	if (slot == NONE)
		goto fail;
	x->subs[slot] = s;
	for (size_t k = 0; k < s->n_keys; k++) {
		if (file_key(x, slot, k) != 0) {
			unfile_all(x, slot);
			slot_give(x, slot);
			goto fail;
		}
	}
	x->shapes[s->anchor]++;
	if (at != SIZE_MAX) {
		slot_drop(x, x->ids[at].slot);
		x->ids[at].slot = slot;
	} else {
		size_t i = ids_free_slot(x->ids, x->ids_cap, id);
		x->ids[i] = (id_slot){.id = id, .slot = slot};
		x->ids_n++;
	}
	return 0;
fail:
	free(s);
	return -1;
}

bool nf_index_remove(nf_index *x, uint64_t id)
{
	size_t at = ids_find(x, id);
	if (at == SIZE_MAX)
		return false;
	slot_drop(x, x->ids[at].slot);
	ids_delete(x, at);
	return true;
}

/* -- matching -- */

typedef struct match_ctx {
	void (*fn)(void *arg, uint64_t id);
	void *arg;
	size_t matches, candidates;
} match_ctx;

/* Checks the subscriptions filed under k that this match has not reached
 * yet. */
static void visit(nf_index *x, const key *k, match_ctx *m)
{
	size_t i = keys_find(x, k, key_hash(k));
	if (i == SIZE_MAX)
		return;
	const bucket *b = &x->keys[i];
	for (uint32_t j = 0; j < b->n; j++) {
		uint32_t slot = b->refs[j].slot;
		if (x->seen[slot] == x->gen)
			continue;
		x->seen[slot] = x->gen;
		m->candidates++;
		const sub *s = x->subs[slot];
		if (sub_check(s, &x->prep)) {
			m->matches++;
			if (m->fn != NULL)
				m->fn(m->arg, s->id);
		}
	}
}

size_t nf_index_match(nf_index *x, const nf_item *it, void (*fn)(void *arg, uint64_t id),
                      void *arg, size_t *candidates)
{
	if (candidates != NULL)
		*candidates = 0;
	if (x->ids_n == 0)
		return 0;
	prep *p = &x->prep;
	if (prep_build(p, it, true) != 0)
		return SIZE_MAX;
	if (++x->gen == 0) {
		memset(x->seen, 0, x->n_slots * sizeof(*x->seen));
		x->gen = 1;
	}

	match_ctx m = {.fn = fn, .arg = arg};
	char kind = (char)('0' + (p->kind & 7));
	key k;
	if (key_str(&k, 'p', prep_str(p, 0))) {
		k.kind = kind;
		visit(x, &k, &m);
	}
	for (size_t i = 0; i < p->n_words; i++)
		if (key_str(&k, 'w', prep_str(p, prep_word0(p) + i))) {
			k.kind = kind;
			visit(x, &k, &m);
		}
	for (size_t i = 0; i < p->n_technologies; i++)
		if (key_str(&k, 't', prep_str(p, prep_tech0(p) + i))) {
			k.kind = kind;
			visit(x, &k, &m);
		}
	for (size_t i = 0; i < p->n_countries; i++)
		if (key_str(&k, 'c', prep_str(p, prep_country0(p) + i))) {
			k.kind = kind;
			visit(x, &k, &m);
		}
	for (size_t i = 0; i < p->n_ecosystems; i++) {
		key_num(&k, 'e', p->ecosystems[i]);
		k.kind = kind;
		visit(x, &k, &m);
	}
	key_num(&k, 'k', p->kind);
	k.kind = kind;
	visit(x, &k, &m);

	/* budget bands, from the call's own down */
	for (int b = x->shapes[A_BUDGET] > 0 && p->budget > 0 ? budget_band(p->budget)
	                                                      : -1;
	     b >= 0; b--) {
		key_num(&k, 'b', b);
		k.kind = kind;
		visit(x, &k, &m);
	}

	/* pairs, only of the kinds some subscription is filed under */
	const char *prog = prep_str(p, 0);
	char eb[16];
	for (size_t e = 0; e < p->n_ecosystems; e++) {
		const char *eco = eco_str(p->ecosystems[e], eb);
		if (x->shapes[A_PROG_ECO] > 0 && key_pair(&k, 'P', prog, eco)) {
			k.kind = kind;
			visit(x, &k, &m);
		}
		for (size_t i = 0; x->shapes[A_COUNTRY_ECO] > 0 && i < p->n_countries;
		     i++)
			if (key_pair(&k, 'C', prep_str(p, prep_country0(p) + i), eco)) {
				k.kind = kind;
				visit(x, &k, &m);
			}
		for (size_t i = 0; x->shapes[A_WORD_ECO] > 0 && i < p->n_words; i++)
			if (key_pair(&k, 'X', prep_str(p, prep_word0(p) + i), eco)) {
				k.kind = kind;
				visit(x, &k, &m);
			}
	}
	for (size_t i = 0; x->shapes[A_PROG_COUNTRY] > 0 && i < p->n_countries; i++)
		if (key_pair(&k, 'Q', prog, prep_str(p, prep_country0(p) + i))) {
			k.kind = kind;
			visit(x, &k, &m);
		}
	for (size_t i = 0; x->shapes[A_WORD_PROG] > 0 && i < p->n_words; i++)
		if (key_pair(&k, 'W', prep_str(p, prep_word0(p) + i), prog)) {
			k.kind = kind;
			visit(x, &k, &m);
		}

	if (candidates != NULL)
		*candidates = m.candidates;
	return m.matches;
}
