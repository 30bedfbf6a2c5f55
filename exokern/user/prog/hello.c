/*
 * hello.c: the smallest exokern program.  It prints its arguments and
 * checks what the kernel gave it at start: argc and argv from the module
 * command line, and a valid info page that names this environment.  The
 * test harness also runs it last to show the kernel survived whatever ran
 * before.
 */
#include "utest.h"

int main(int argc, char **argv)
{
	const volatile struct exo_info *in = sys_info();

	printf("hello from env %u:", in->env_id);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	CHECK(argc >= 1);
	CHECK_EQ(strcmp(ut_basename(argv[0]), "hello"), 0);
	CHECK(argv[argc] == NULL);
	CHECK((uint64_t)in % EXO_PAGE_SIZE == 0);
	CHECK_EQ(in->magic, EXO_INFO_MAGIC);
	CHECK_EQ(in->version, EXO_INFO_VERSION);
	CHECK(in->env_id >= 1);
	CHECK(in->pages_total > in->pages_free);
	CHECK_EQ(in->pages_owned, 0);
	return ut_done("hello");
}
