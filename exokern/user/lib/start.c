/*
 * start.c: between crt0.S and main.  A program that needs a larger stack
 * for main than the kernel's defines
 *     const unsigned exo_main_stack_pages = N;
 * and main then runs on a user-level thread with an N-page stack
 * (uthread.h); other programs run main on the kernel's stack, as is.
 */
#include "uthread.h"
#include "ulib.h"

extern const unsigned exo_main_stack_pages __attribute__((weak));
int main(int argc, char **argv);

int exo_start(int argc, char **argv)
{
	if (&exo_main_stack_pages && exo_main_stack_pages)
		return uthread_run_main(main, argc, argv,
					exo_main_stack_pages);
	return main(argc, argv);
}
