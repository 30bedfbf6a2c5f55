/*
 * revoke.c: revocation under memory pressure, in three roles (the first
 * argument), run together in one boot:
 *
 *   revoke coop N     holds N mapped pages; when the kernel asks for some
 *                     back, it frees pages of its own choosing (its lowest
 *                     numbered, where the kernel would take the highest),
 *                     and is never repossessed.
 *   revoke uncoop N   holds N mapped pages and ignores the request, spinning
 *                     without system calls; past the deadline the kernel
 *                     repossesses pages, lists them in the repossession
 *                     ring and unmaps them; it checks exactly that.
 *   revoke hog N      once the others hold their pages, allocates until
 *                     memory runs out (which makes the kernel ask the
 *                     others), then waits for N pages to come back and
 *                     takes them.
 *
 * The kernel asks each environment for a quarter of its pages (revoke.h);
 * the checks below depend on that policy.
 */
#include "utest.h"

#define MAXPAGES  1024
#define HOLD_VA   0x600000000ull
#define WAIT_NS   (10ull * 1000 * 1000 * 1000)
#define SPIN_TSC  (40ull * 1000 * 1000 * 1000)

static const volatile struct exo_info *in;
static exo_ppn held[MAXPAGES];
static uint64_t nheld;

static char *va_of(uint64_t i)
{
	return (char *)(HOLD_VA + i * EXO_PAGE_SIZE);
}

static void hold_pages(uint64_t n)
{
	for (nheld = 0; nheld < n; nheld++) {
		exo_ppn p;

		if (sys_page_alloc(0, 1, &p) ||
		    sys_page_map(p, va_of(nheld), 1, EXO_MAP_W))
			break;
		held[nheld] = p;
		memset(va_of(nheld), (int)(p & 0xff), EXO_PAGE_SIZE);
	}
	CHECK_EQ(nheld, n);
	CHECK_EQ(in->pages_owned, n);
}

static int held_index(exo_ppn p)
{
	for (uint64_t i = 0; i < nheld; i++)
		if (held[i] == p)
			return (int)i;
	return -1;
}

/* Pages still held and mapped keep their contents. */
static int intact(const uint8_t *gone)
{
	for (uint64_t i = 0; i < nheld; i++)
		if (!gone[i] && (va_of(i)[0] != (char)(held[i] & 0xff) ||
				 va_of(i)[EXO_PAGE_SIZE - 1] !=
					 (char)(held[i] & 0xff)))
			return 0;
	return 1;
}

/* Index of the lowest-numbered held page not yet given back. */
static uint64_t lowest(const uint8_t *gone)
{
	uint64_t best = nheld;

	for (uint64_t i = 0; i < nheld; i++)
		if (!gone[i] && (best == nheld || held[i] < held[best]))
			best = i;
	return best;
}

static void coop(uint64_t n)
{
	static uint8_t gone[MAXPAGES];
	uint64_t t0, asked;

	hold_pages(n);
	t0 = sys_time();
	while (!in->revoke_pages && sys_time() - t0 < WAIT_NS)
		sys_yield();
	asked = in->revoke_pages;
	CHECK_EQ(asked, (n + 3) / 4);
	CHECK_EQ(in->revoke_seq, 1);
	for (uint64_t k = 0; k < asked; k++) {
		uint64_t i = lowest(gone);

		CHECK_EQ(sys_page_free(held[i], 1), 0);
		gone[i] = 1;
		CHECK_EQ(sys_page_unmap(va_of(i), 1), EXO_EINVAL);
	}
	CHECK_EQ(in->revoke_pages, 0);
	CHECK_EQ(in->pages_owned, n - asked);
	/* Past the deadline nothing more is taken. */
	while (sys_time() < in->revoke_deadline_ns + 30000000)
		sys_yield();
	CHECK_EQ(in->repo_count, 0);
	CHECK_EQ(in->pages_owned, n - asked);
	CHECK(intact(gone));
}

static void uncoop(uint64_t n)
{
	static uint8_t gone[MAXPAGES];
	uint64_t c0, taken, want = (n + 3) / 4;

	hold_pages(n);
	c0 = rdtsc();
	while (in->repo_count == 0 && rdtsc() - c0 < SPIN_TSC)
		; /* no system call: only the abort protocol ends this */
	taken = in->repo_count;
	CHECK_EQ(taken, want);
	CHECK_EQ(in->revoke_pages, 0);
	CHECK_EQ(in->revoke_seq, 1);
	CHECK_EQ(in->pages_owned, n - taken);
	for (uint64_t k = 0; k < taken && k < EXO_REPO_MAX; k++) {
		exo_ppn p = in->repo[k];
		int i = held_index(p);

		CHECK(i >= 0);
		if (i < 0)
			continue;
		gone[i] = 1;
		CHECK_EQ(sys_page_free(p, 1), EXO_EPERM); /* not ours */
		CHECK_EQ(sys_page_unmap(va_of(i), 1), EXO_EINVAL); /* gone */
	}
	CHECK(intact(gone));
}

/* Wait until pages_free has not changed for five of our turns. */
static int wait_settled(void)
{
	uint64_t t0 = sys_time(), last = in->pages_free;
	int same = 0;

	while (same < 5 && sys_time() - t0 < WAIT_NS) {
		sys_yield();
		same = in->pages_free == last ? same + 1 : 0;
		last = in->pages_free;
	}
	return same == 5;
}

static void hog(uint64_t want)
{
	uint64_t got = 0, t0;
	exo_ppn p = 0;
	int r;

	CHECK(wait_settled());
	while ((r = sys_page_alloc(p + 1, 1, &p)) == 0)
		got++;
	CHECK_EQ(r, EXO_ENOMEM);
	CHECK(got > 0);
	printf("revoke-hog: took %lu pages, memory is full\n", got);
	t0 = sys_time();
	while (in->pages_free < want && sys_time() - t0 < WAIT_NS)
		sys_yield();
	CHECK(in->pages_free >= want);
	for (got = 0; got < want && sys_page_alloc(0, 1, &p) == 0; got++)
		;
	CHECK_EQ(got, want);
}

int main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "";
	uint64_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	char label[32];

	in = sys_info();
	snprintf(label, sizeof(label), "revoke-%s", role);
	CHECK(n > 0 && n <= MAXPAGES);
	if (n > MAXPAGES)
		n = MAXPAGES;
	if (!strcmp(role, "coop"))
		coop(n);
	else if (!strcmp(role, "uncoop"))
		uncoop(n);
	else if (!strcmp(role, "hog"))
		hog(n);
	else
		CHECK(!"role is coop, uncoop or hog");
	return ut_done(label);
}
