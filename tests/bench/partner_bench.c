/* eccp-partner-bench: partner search latency over a generated index at the
 * platform's scale.
 *
 *	eccp-partner-bench [--profiles 100000] [--queries 2000] [--seed 1]
 *
 * The profiles look like the platform's: countries weighted towards the EU
 * member states with many clusters, each cluster near one of a few cities
 * of its country (with that city's NUTS region), 1 to 4 ecosystems,
 * technologies, sectors, emerging industries and value chains from the
 * vocabularies clusters use (about 200 terms), a description of about 40
 * words (common words more often than rare ones, and one word in ten from
 * a long tail of 30,000, as names of places and products are), member
 * counts from 10 to 2,000, labels, languages and what each looks for.
 *
 * The queries are an even mix of seven kinds: filters only; weighted
 * preferences; similar to a cluster; complementary to a cluster; distance
 * from a point; distance from a cluster; free text. They run one at a time
 * on one thread, and each is timed alone.
 *
 * Prints one JSON object: the sizes, the time to build the index, the
 * latency percentiles over all queries and per kind (with the mean number
 * of profiles that passed the filters, to show the queries find something),
 * and the resident memory after the build. Latencies are wall-clock time;
 * the cpu_ figures are the thread's CPU time for the same queries, which
 * leaves out the time the thread waited for a core while other programs
 * ran on the machine. */
#include "partner.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 1;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static double unit(void)
{
	return (double)(next() >> 11) / (double)(1ull << 53);
}

/* An index skewed towards 0: the first terms of a list are the common ones. */
static unsigned skewed(unsigned n)
{
	double u = unit();
	return (unsigned)(u * u * n);
}

typedef struct city {
	const char *name;
	double lat, lon;
	const char *nuts;
} city;

typedef struct country {
	const char *code, *lang;
	unsigned weight;
	city cities[6];
} country;

/* Weights follow roughly how many clusters each country has. */
static const country countries[] = {
    {"DE",
     "de",
     14,
     {{"Berlin", 52.520, 13.405, "DE300"},
      {"Munich", 48.137, 11.575, "DE212"},
      {"Hamburg", 53.551, 9.993, "DE600"},
      {"Stuttgart", 48.776, 9.183, "DE111"},
      {"Cologne", 50.938, 6.960, "DEA23"},
      {"Dresden", 51.050, 13.738, "DED21"}}},
    {"FR",
     "fr",
     12,
     {{"Paris", 48.857, 2.352, "FR101"},
      {"Lyon", 45.764, 4.836, "FRK26"},
      {"Toulouse", 43.605, 1.444, "FRJ23"},
      {"Nantes", 47.218, -1.554, "FRG01"},
      {"Marseille", 43.296, 5.370, "FRL04"},
      {"Lille", 50.629, 3.057, "FRE11"}}},
    {"ES",
     "es",
     11,
     {{"Madrid", 40.417, -3.704, "ES300"},
      {"Barcelona", 41.385, 2.173, "ES511"},
      {"Valencia", 39.470, -0.376, "ES523"},
      {"Bilbao", 43.263, -2.935, "ES213"},
      {"Seville", 37.389, -5.984, "ES618"}}},
    {"IT",
     "it",
     10,
     {{"Milan", 45.464, 9.190, "ITC4C"},
      {"Rome", 41.903, 12.496, "ITI43"},
      {"Turin", 45.070, 7.687, "ITC11"},
      {"Bologna", 44.494, 11.343, "ITH55"},
      {"Naples", 40.852, 14.268, "ITF33"}}},
    {"PL",
     "pl",
     6,
     {{"Warsaw", 52.230, 21.012, "PL911"},
      {"Krakow", 50.065, 19.945, "PL213"},
      {"Wroclaw", 51.108, 17.039, "PL514"},
      {"Gdansk", 54.352, 18.646, "PL634"}}},
    {"NL",
     "nl",
     5,
     {{"Amsterdam", 52.368, 4.904, "NL329"},
      {"Eindhoven", 51.441, 5.470, "NL414"},
      {"Rotterdam", 51.924, 4.478, "NL33C"}}},
    {"BE",
     "fr",
     5,
     {{"Brussels", 50.850, 4.352, "BE100"},
      {"Antwerp", 51.219, 4.402, "BE211"},
      {"Liege", 50.633, 5.580, "BE332"},
      {"Ghent", 51.054, 3.717, "BE234"}}},
    {"AT",
     "de",
     4,
     {{"Vienna", 48.208, 16.374, "AT130"},
      {"Graz", 47.071, 15.439, "AT221"},
      {"Linz", 48.306, 14.286, "AT312"}}},
    {"SE",
     "sv",
     4,
     {{"Stockholm", 59.329, 18.069, "SE110"},
      {"Gothenburg", 57.709, 11.975, "SE232"},
      {"Malmo", 55.605, 13.004, "SE224"}}},
    {"PT",
     "pt",
     4,
     {{"Lisbon", 38.722, -9.139, "PT170"}, {"Porto", 41.158, -8.629, "PT11A"}}},
    {"DK",
     "da",
     3,
     {{"Copenhagen", 55.676, 12.568, "DK011"}, {"Aarhus", 56.163, 10.204, "DK042"}}},
    {"FI",
     "fi",
     3,
     {{"Helsinki", 60.170, 24.938, "FI1B1"},
      {"Tampere", 61.498, 23.761, "FI197"},
      {"Oulu", 65.012, 25.465, "FI1D9"}}},
    {"CZ",
     "cs",
     3,
     {{"Prague", 50.075, 14.438, "CZ010"}, {"Brno", 49.195, 16.607, "CZ064"}}},
    {"HU",
     "hu",
     3,
     {{"Budapest", 47.498, 19.040, "HU110"}, {"Debrecen", 47.532, 21.627, "HU321"}}},
    {"RO",
     "ro",
     3,
     {{"Bucharest", 44.427, 26.103, "RO321"}, {"Cluj", 46.771, 23.624, "RO113"}}},
    {"GR",
     "el",
     3,
     {{"Athens", 37.984, 23.728, "EL303"}, {"Thessaloniki", 40.640, 22.944, "EL522"}}},
    {"BG",
     "bg",
     2,
     {{"Sofia", 42.698, 23.322, "BG411"}, {"Plovdiv", 42.144, 24.750, "BG421"}}},
    {"IE",
     "en",
     2,
     {{"Dublin", 53.350, -6.260, "IE061"}, {"Cork", 51.899, -8.476, "IE053"}}},
    {"SK",
     "sk",
     2,
     {{"Bratislava", 48.149, 17.107, "SK010"}, {"Kosice", 48.717, 21.261, "SK042"}}},
    {"SI",
     "sl",
     2,
     {{"Ljubljana", 46.057, 14.506, "SI041"}, {"Maribor", 46.554, 15.646, "SI032"}}},
    {"HR",
     "hr",
     2,
     {{"Zagreb", 45.815, 15.982, "HR050"}, {"Split", 43.508, 16.440, "HR032"}}},
    {"LT",
     "lt",
     2,
     {{"Vilnius", 54.687, 25.280, "LT011"}, {"Kaunas", 54.898, 23.904, "LT021"}}},
    {"LV", "lv", 1, {{"Riga", 56.949, 24.105, "LV006"}}},
    {"EE",
     "et",
     1,
     {{"Tallinn", 59.437, 24.754, "EE001"}, {"Tartu", 58.378, 26.729, "EE008"}}},
    {"LU", "lb", 1, {{"Luxembourg", 49.611, 6.130, "LU000"}}},
    {"CY", "el", 1, {{"Nicosia", 35.185, 33.382, "CY000"}}},
    {"MT", "mt", 1, {{"Valletta", 35.899, 14.514, "MT001"}}},
    {"NO",
     "no",
     2,
     {{"Oslo", 59.914, 10.752, "NO081"}, {"Bergen", 60.391, 5.322, "NO0A1"}}},
    {"CH",
     "de",
     2,
     {{"Zurich", 47.377, 8.541, "CH040"}, {"Geneva", 46.204, 6.143, "CH013"}}},
    {"GB",
     "en",
     3,
     {{"London", 51.507, -0.128, "UKI31"}, {"Manchester", 53.481, -2.243, "UKD33"}}},
    {"TR",
     "tr",
     2,
     {{"Istanbul", 41.008, 28.978, "TR100"}, {"Ankara", 39.934, 32.860, "TR510"}}},
    {"UA", "uk", 1, {{"Kyiv", 50.450, 30.524, ""}}},
    {"IS", "is", 1, {{"Reykjavik", 64.147, -21.942, "IS001"}}},
    {"RS", "sr", 1, {{"Belgrade", 44.787, 20.457, "RS110"}}},
};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static const char *const technologies[] = {
    "Artificial Intelligence",
    "Machine Learning",
    "Robotics",
    "Internet of Things",
    "Cybersecurity",
    "Cloud Computing",
    "Big Data",
    "Blockchain",
    "Quantum Computing",
    "5G",
    "Edge Computing",
    "Digital Twins",
    "Augmented Reality",
    "Virtual Reality",
    "Additive Manufacturing",
    "3D Printing",
    "Advanced Materials",
    "Nanotechnology",
    "Photonics",
    "Microelectronics",
    "Semiconductors",
    "Sensors",
    "Batteries",
    "Energy Storage",
    "Hydrogen",
    "Fuel Cells",
    "Solar Photovoltaics",
    "Wind Energy",
    "Geothermal",
    "Biomass",
    "Smart Grids",
    "Carbon Capture",
    "Electric Vehicles",
    "Autonomous Driving",
    "Drones",
    "Satellites",
    "Earth Observation",
    "Biotechnology",
    "Genomics",
    "Medical Devices",
    "Telemedicine",
    "Diagnostics",
    "Pharmaceuticals",
    "Precision Agriculture",
    "Vertical Farming",
    "Food Processing",
    "Aquaculture",
    "Packaging",
    "Circular Economy",
    "Recycling",
    "Water Treatment",
    "Bioplastics",
    "Smart Textiles",
    "Technical Textiles",
    "Green Chemistry",
    "Catalysis",
    "Composites",
    "Steel Processing",
    "Cement",
    "Glass",
    "Building Information Modelling",
    "Prefabrication",
    "Timber Construction",
    "Smart Buildings",
    "Heat Pumps",
    "Energy Efficiency",
    "Logistics Software",
    "Supply Chain Management",
    "E-commerce",
    "Fintech",
    "Gaming",
    "Video Production",
    "Music Technology",
    "Design",
    "Tourism Platforms",
    "Cultural Heritage Digitisation",
    "Language Technology",
    "Human-Machine Interfaces",
    "Cobots",
    "Machine Vision",
    "Industrial Automation",
    "Predictive Maintenance",
    "High Performance Computing",
    "Simulation",
    "Microfluidics",
    "Lasers",
    "Optics",
    "Power Electronics",
    "Wireless Communication",
    "Railway Technology",
    "Shipbuilding",
    "Aeronautics",
    "Space Propulsion",
    "Defence Electronics",
    "Security Technologies",
    "Agri Robotics",
    "Food Safety",
    "Nutrition",
    "Cosmetics",
    "Wood Processing",
    "Paper and Pulp",
    "Mining Technology",
    "Critical Raw Materials",
    "Rare Earths",
    "Battery Recycling",
    "Hydrogen Storage",
    "Electrolysers",
    "Offshore Wind",
    "Marine Energy",
    "Smart Cities",
    "Mobility as a Service",
    "Urban Air Mobility",
    "Cold Chain",
    "Crowdfunding",
    "Social Innovation",
    "Assistive Technology",
    "eHealth",
    "Bioinformatics",
    "Vaccines",
    "Cell Therapy",
};
static const char *const sectors[] = {
    "Automotive",
    "Aerospace",
    "Agriculture",
    "Food and Beverages",
    "Chemicals",
    "Construction",
    "Creative Industries",
    "Defence",
    "Education",
    "Electronics",
    "Energy",
    "Environment",
    "Fashion",
    "Financial Services",
    "Forestry",
    "Furniture",
    "Healthcare",
    "ICT",
    "Logistics",
    "Machinery",
    "Manufacturing",
    "Maritime",
    "Media",
    "Metals",
    "Mining",
    "Pharmaceuticals",
    "Plastics",
    "Printing",
    "Public Services",
    "Railways",
    "Retail",
    "Security",
    "Social Economy",
    "Sport",
    "Textiles",
    "Tourism",
    "Transport",
    "Water",
    "Wood",
    "Biotech",
    "Life Sciences",
    "Ceramics",
    "Software",
    "Space",
    "Wine",
    "Dairy",
    "Fisheries",
};
static const char *const emerging[] = {
    "Advanced Packaging",    "Biopharmaceuticals",  "Blue Growth",
    "Creative Industries",   "Digital Industries",  "Environmental Industries",
    "Experience Industries", "Logistical Services", "Medical Devices",
    "Mobility Technologies",
};
static const char *const value_chains[] = {
    "Batteries",
    "Clean Hydrogen",
    "Microelectronics",
    "Low-carbon Industry",
    "Connected Vehicles",
    "Smart Health",
    "Industrial IoT",
    "Cybersecurity",
    "Raw Materials",
    "Circular Plastics",
    "Processors",
    "Cloud and Edge",
    "Solar",
    "Space Data",
};
static const char *const common_words[] = {
    "cluster",       "innovation",    "members",       "companies",    "research",
    "regional",      "development",   "network",       "support",      "international",
    "industry",      "partners",      "projects",      "services",     "technology",
    "sustainable",   "digital",       "green",         "transition",   "competitiveness",
    "smes",          "startups",      "universities",  "training",     "skills",
    "markets",       "export",        "collaboration", "cooperation",  "excellence",
    "platform",      "ecosystem",     "value",         "chain",        "production",
    "manufacturing", "energy",        "health",        "mobility",     "food",
    "materials",     "solutions",     "products",      "growth",       "investment",
    "funding",       "european",      "national",      "local",        "public",
    "private",       "organisation",  "association",   "founded",      "leading",
    "advanced",      "smart",         "circular",      "economy",      "climate",
    "neutral",       "data",          "systems",       "applications", "engineering",
    "design",        "quality",       "standards",     "testing",      "laboratory",
    "pilot",         "demonstration", "scale",         "business",     "model",
    "strategy",      "policy",        "region",        "city",         "area",
    "centre",        "hub",           "valley",        "alliance",     "group",
    "joint",         "ventures",      "supply",        "logistics",    "infrastructure",
    "equipment",     "tools",         "software",      "hardware",     "components",
    "processes",     "efficiency",    "resources",     "waste",        "water",
    "air",           "soil",          "biodiversity",  "renewable",    "hydrogen",
    "storage",       "batteries",     "vehicles",      "aircraft",     "space",
    "defence",       "textile",       "fashion",       "tourism",      "culture",
    "creative",      "media",         "retail",        "construction", "buildings",
    "wood",          "steel",         "chemicals",     "plastics",     "glass",
    "ceramics",      "paper",         "agriculture",   "farming",      "fisheries",
    "wine",          "dairy",         "medical",       "pharma",       "biotech",
    "diagnostics",   "care",          "ageing",        "wellbeing",    "sport",
    "education",     "jobs",          "talent",        "women",        "youth",
    "social",        "inclusion",     "rural",         "urban",        "cross",
    "border",        "interregional",
};
#define NWORDS_COMMON (sizeof(common_words) / sizeof(common_words[0]))
#define TAIL_WORDS    30000

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const char *const kinds[] = {"Cluster", "Network",     "Alliance", "Hub",
                                    "Valley",  "Association", "Platform", "Initiative"};

static unsigned pick_country(void)
{
	static unsigned total;
	if (total == 0)
		for (size_t i = 0; i < NCOUNTRIES; i++)
			total += countries[i].weight;
	unsigned r = pick(total);
	for (size_t i = 0; i < NCOUNTRIES; i++) {
		if (r < countries[i].weight)
			return (unsigned)i;
		r -= countries[i].weight;
	}
	return 0;
}

static size_t ncities(const country *c)
{
	size_t n = 0;
	while (n < 6 && c->cities[n].name != NULL)
		n++;
	return n;
}

/* Distinct picks from a list: k of them into out. */
static size_t pick_terms(const char *const *list, unsigned n, unsigned k,
                         const char **out)
{
	size_t got = 0;
	for (unsigned tries = 0; got < k && tries < 4 * k; tries++) {
		const char *t = list[skewed(n)];
		bool dup = false;
		for (size_t i = 0; i < got && !dup; i++)
			dup = out[i] == t;
		if (!dup)
			out[got++] = t;
	}
	return got;
}

static size_t pick_ecos(unsigned k, int *out)
{
	size_t got = 0;
	while (got < k) {
		int e = 1 + (int)pick(MM_ECOSYSTEM_MAX);
		bool dup = false;
		for (size_t i = 0; i < got && !dup; i++)
			dup = out[i] == e;
		if (!dup)
			out[got++] = e;
	}
	return got;
}

/* The index being measured, and the time its puts took. */
static mm_partners *bench_index;
static uint64_t bench_build_ns;

/* What the generator remembers of each profile, for the queries. */
typedef struct gen_info {
	bool located, looks;
} gen_info;

static void make_profile(unsigned i, gen_info *info, char *desc, size_t desc_cap)
{
	static char id[32], name[160], acronym[16];
	static const char *techs[8], *secs[4], *emerg[2], *vcs[3], *langs[3];
	static const char *lf_techs[3], *lf_ctry[3];
	static int ecos[4], lf_ecos[3], coop[3];

	const country *c = &countries[pick_country()];
	const city *ct = &c->cities[pick((unsigned)ncities(c))];
	mm_profile p = {0};
	snprintf(id, sizeof(id), "cl_%07u", i);
	size_t nt = pick_terms(technologies, N(technologies), 1 + pick(6), techs);
	snprintf(name, sizeof(name), "%s %s %s %u", ct->name, techs[0],
	         kinds[pick(N(kinds))], i % 97);
	snprintf(acronym, sizeof(acronym), "%c%c%c", ct->name[0], techs[0][0], 'C');
	p.id = id;
	p.name = name;
	p.acronym = acronym;
	p.country = c->code;
	p.nuts_region = ct->nuts;
	p.city = ct->name;
	if (pick(100) >= 3) {
		p.has_location = true;
		p.latitude = ct->lat + (unit() - 0.5) * 0.5;
		p.longitude = ct->lon + (unit() - 0.5) * 0.7;
	}
	p.ecosystems = ecos;
	p.n_ecosystems = pick_ecos(1 + pick(4), ecos);
	p.technologies = techs;
	p.n_technologies = nt;
	p.sectors = secs;
	p.n_sectors = pick_terms(sectors, N(sectors), 1 + pick(3), secs);
	p.emerging_industries = emerg;
	p.n_emerging_industries = pick_terms(emerging, N(emerging), pick(3), emerg);
	p.value_chains = vcs;
	p.n_value_chains = pick_terms(value_chains, N(value_chains), pick(4), vcs);
	p.members_total = (uint32_t)(10 * exp(unit() * log(200.0)));
	p.members_smes = (uint32_t)(p.members_total * (0.5 + 0.45 * unit()));
	unsigned l = pick(100);
	p.excellence_label = l < 50 ? 0 : l < 75 ? 1 : l < 90 ? 2 : 3;
	size_t nl = 0;
	langs[nl++] = c->lang;
	if (strcmp(c->lang, "en") != 0 && pick(100) < 80)
		langs[nl++] = "en";
	if (pick(100) < 15)
		langs[nl++] = pick(2) ? "fr" : "de";
	p.languages = langs;
	p.n_languages = nl;

	size_t w = 0;
	for (unsigned k = 0, nw = 30 + pick(20); k < nw; k++) {
		char tail[16];
		const char *word;
		if (pick(10) == 0) {
			snprintf(tail, sizeof(tail), "x%u", skewed(TAIL_WORDS));
			word = tail;
		} else if (pick(5) == 0) {
			word = technologies[skewed(N(technologies))];
		} else {
			word = common_words[skewed(NWORDS_COMMON)];
		}
		int n = snprintf(desc + w, desc_cap - w, "%s%s", k ? " " : "", word);
		if (n > 0 && (size_t)n < desc_cap - w)
			w += (size_t)n;
	}
	p.description = desc;

	info->located = p.has_location;
	info->looks = pick(100) < 80;
	if (info->looks) {
		mm_looking_for *lf = &p.looking_for;
		lf->ecosystems = lf_ecos;
		lf->n_ecosystems = pick_ecos(1 + pick(3), lf_ecos);
		lf->technologies = lf_techs;
		lf->n_technologies =
		    pick_terms(technologies, N(technologies), pick(4), lf_techs);
		lf->countries = lf_ctry;
		lf->n_countries = 0;
		if (pick(2))
			for (unsigned k = 0, nc = 1 + pick(3); k < nc; k++)
				lf_ctry[lf->n_countries++] =
				    countries[pick_country()].code;
		lf->cooperation = coop;
		lf->n_cooperation = 1 + pick(3);
		for (size_t k = 0; k < lf->n_cooperation; k++)
			coop[k] = 1 + (int)pick(MM_COOPERATION_MAX);
	}
	uint64_t t0 = eccp_mono_ns();
	if (mm_partners_put(bench_index, &p) != 0) {
		fprintf(stderr, "put failed\n");
		exit(1);
	}
	bench_build_ns += eccp_mono_ns() - t0;
}

enum {
	Q_FILTERS,
	Q_PREFS,
	Q_SIMILAR,
	Q_COMPL,
	Q_DIST_POINT,
	Q_DIST_CLUSTER,
	Q_TEXT,
	Q_N
};
static const char *const qnames[Q_N] = {
    "filters",        "preferences",      "similar", "complementary",
    "distance_point", "distance_cluster", "text"};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)ceil(p * (double)n) - 1;
	return v[i < n ? i : n - 1];
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double rss_mib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atof(line + 6);
	if (f)
		fclose(f);
	return kib / 1024;
}

/* A random profile id with what want asks: located, looking for something. */
static const char *some_cluster(const gen_info *info, unsigned n, bool located,
                                bool looks, char *buf, size_t cap)
{
	unsigned i;
	do
		i = pick(n);
	while ((located && !info[i].located) || (looks && !info[i].looks));
	snprintf(buf, cap, "cl_%07u", i);
	return buf;
}

int main(int argc, char **argv)
{
	unsigned nprof = 100000, nq = 2000;
	uint64_t seed = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--profiles") == 0)
			nprof = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--queries") == 0)
			nq = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = strtoull(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr,
			        "usage: %s [--profiles N] [--queries N] [--seed N]\n",
			        argv[0]);
			return 2;
		}
	}
	if (nprof == 0 || nq == 0) {
		fprintf(stderr, "--profiles and --queries must be > 0\n");
		return 2;
	}
	rng = seed * 0x9E3779B97F4A7C15ull + 1;

	bench_index = mm_partners_new();
	gen_info *info = calloc(nprof, sizeof(*info));
	char *desc = malloc(4096);
	for (unsigned i = 0; i < nprof; i++)
		make_profile(i, &info[i], desc, 4096);
	free(desc);
	double rss = rss_mib();

	double *all = malloc(nq * sizeof(double)), *cpu = malloc(nq * sizeof(double));
	double *by[Q_N], *cby[Q_N];
	size_t nby[Q_N] = {0};
	double hits[Q_N] = {0};
	for (int k = 0; k < Q_N; k++) {
		by[k] = malloc(nq * sizeof(double));
		cby[k] = malloc(nq * sizeof(double));
	}
	char ref[32], err[256], textbuf[128];
	const char *techs[3], *ctry[3], *nuts[2], *langs[1];
	int ecos[3];
	for (unsigned i = 0; i < nq; i++) {
		int kind = (int)(i % Q_N);
		mm_query q = {0};
		q.offset = pick(4) == 0 ? 20 * pick(3) : 0;
		switch (kind) {
		case Q_FILTERS:
			q.ecosystems = (mm_ecosystem_criterion){
			    MM_FILTER, 0, ecos, pick_ecos(1 + pick(2), ecos)};
			if (pick(2)) {
				ctry[0] = countries[pick_country()].code;
				ctry[1] = countries[pick_country()].code;
				q.countries =
				    (mm_strings_criterion){MM_FILTER, 0, ctry, 2};
			} else {
				const country *c = &countries[pick_country()];
				/* A country, or a city's region at NUTS 2. */
				static char n2[5];
				snprintf(n2, sizeof(n2), "%.4s", c->cities[0].nuts);
				nuts[0] = pick(2) || strlen(n2) < 4 ? c->code : n2;
				q.nuts_regions =
				    (mm_strings_criterion){MM_FILTER, 0, nuts, 1};
			}
			q.label =
			    (mm_label_criterion){pick(2) ? MM_FILTER : MM_OFF, 0, 1};
			q.members = (mm_range_criterion){MM_FILTER, 0, 20, 500};
			break;
		case Q_PREFS:
			q.technologies = (mm_strings_criterion){
			    MM_PREFER, 10 + pick(90), techs,
			    pick_terms(technologies, N(technologies), 1 + pick(3),
			               techs)};
			q.ecosystems = (mm_ecosystem_criterion){
			    MM_PREFER, 10 + pick(90), ecos, pick_ecos(1 + pick(3), ecos)};
			q.members = (mm_range_criterion){MM_PREFER, 20, 50, 400};
			q.label = (mm_label_criterion){MM_PREFER, 10, 2};
			langs[0] = "en";
			q.languages = (mm_strings_criterion){MM_PREFER, 10, langs, 1};
			if (pick(2)) {
				ctry[0] = "TR";
				q.exclude_countries = ctry;
				q.n_exclude_countries = 1;
			}
			break;
		case Q_SIMILAR:
			q.mode = MM_MODE_SIMILAR;
			q.cluster_id =
			    some_cluster(info, nprof, false, false, ref, sizeof(ref));
			if (pick(2)) {
				q.distance = (mm_distance_criterion){MM_PREFER, 30, ref,
				                                     0,         0,  1500};
				if (!info[atoi(ref + 3)].located)
					q.distance.use = MM_OFF;
			}
			break;
		case Q_COMPL:
			q.mode = MM_MODE_COMPLEMENTARY;
			q.cluster_id =
			    some_cluster(info, nprof, false, true, ref, sizeof(ref));
			if (pick(2))
				q.label = (mm_label_criterion){MM_FILTER, 0, 1};
			break;
		case Q_DIST_POINT: {
			const country *c = &countries[pick_country()];
			const city *ct = &c->cities[pick((unsigned)ncities(c))];
			q.distance =
			    (mm_distance_criterion){pick(2) ? MM_FILTER : MM_PREFER,
			                            60,
			                            NULL,
			                            ct->lat,
			                            ct->lon,
			                            100 + pick(900)};
			q.technologies = (mm_strings_criterion){
			    MM_PREFER, 40, techs,
			    pick_terms(technologies, N(technologies), 1 + pick(2),
			               techs)};
			break;
		}
		case Q_DIST_CLUSTER:
			q.distance = (mm_distance_criterion){
			    pick(2) ? MM_FILTER : MM_PREFER,
			    50,
			    some_cluster(info, nprof, true, false, ref, sizeof(ref)),
			    0,
			    0,
			    200 + pick(1300)};
			q.ecosystems = (mm_ecosystem_criterion){
			    MM_PREFER, 50, ecos, pick_ecos(1 + pick(2), ecos)};
			q.sectors = (mm_strings_criterion){
			    MM_PREFER, 30, techs,
			    pick_terms(sectors, N(sectors), 1 + pick(2), techs)};
			break;
		case Q_TEXT: {
			const char *w1 = common_words[skewed(NWORDS_COMMON)];
			const char *w2 = technologies[skewed(N(technologies))];
			switch (pick(3)) {
			case 0:
				snprintf(textbuf, sizeof(textbuf), "%s %s", w1, w2);
				break;
			case 1:
				snprintf(textbuf, sizeof(textbuf), "%s %.4s*", w2, w1);
				break;
			default:
				snprintf(textbuf, sizeof(textbuf), "x%u %s",
				         skewed(TAIL_WORDS), w1);
			}
			q.text = (mm_text_criterion){pick(2) ? MM_FILTER : MM_PREFER, 0,
			                             textbuf};
			break;
		}
		}
		mm_results r;
		uint64_t c0 = cpu_ns(), t0 = eccp_mono_ns();
		int rc = mm_partners_search(bench_index, &q, &r, err, sizeof(err));
		double ms = (double)(eccp_mono_ns() - t0) / 1e6;
		double cms = (double)(cpu_ns() - c0) / 1e6;
		if (rc != 0) {
			fprintf(stderr, "query %u (%s) failed: %s\n", i, qnames[kind],
			        err);
			return 1;
		}
		hits[kind] += (double)r.total;
		mm_results_free(&r);
		all[i] = ms;
		cpu[i] = cms;
		cby[kind][nby[kind]] = cms;
		by[kind][nby[kind]++] = ms;
	}
	qsort(all, nq, sizeof(double), cmp_double);
	qsort(cpu, nq, sizeof(double), cmp_double);
	printf("{\"profiles\":%u,\"queries\":%u,\"seed\":%llu,\"build_ms\":%.1f,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"cpu_p50_ms\":%.3f,"
	       "\"cpu_p99_ms\":%.3f,\"cpu_max_ms\":%.3f,\"rss_mib\":%.1f,\"by_kind\":{",
	       nprof, nq, (unsigned long long)seed, (double)bench_build_ns / 1e6,
	       pct(all, nq, 0.5), pct(all, nq, 0.99), all[nq - 1], pct(cpu, nq, 0.5),
	       pct(cpu, nq, 0.99), cpu[nq - 1], rss);
	for (int k = 0; k < Q_N; k++) {
		qsort(by[k], nby[k], sizeof(double), cmp_double);
		qsort(cby[k], nby[k], sizeof(double), cmp_double);
		printf(
		    "%s\"%s\":{\"n\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		    "\"cpu_p99_ms\":%.3f,\"mean_total\":%.0f}",
		    k ? "," : "", qnames[k], nby[k], pct(by[k], nby[k], 0.5),
		    pct(by[k], nby[k], 0.99), nby[k] ? by[k][nby[k] - 1] : 0,
		    pct(cby[k], nby[k], 0.99), nby[k] ? hits[k] / (double)nby[k] : 0);
		free(by[k]);
		free(cby[k]);
	}
	printf("}}\n");
	free(all);
	free(cpu);
	free(info);
	mm_partners_free(bench_index);
	return 0;
}
