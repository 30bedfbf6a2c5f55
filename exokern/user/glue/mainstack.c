/*
 * mainstack.c: linked into the programs built unchanged from other parts
 * of the tree (the exodb CLI, exobench), whose main and everything it
 * calls expect a Linux-sized stack: main runs on a user-level thread
 * with a 1 MiB stack instead of the kernel's 64 KiB (start.c).
 */
const unsigned exo_main_stack_pages = 256;
