/*
 * sys/stat.h: there are no files on exokern: stat fails with ENOENT,
 * mkdir with ENOSYS (posix.c).
 */
#ifndef EXOKERN_SYS_STAT_H
#define EXOKERN_SYS_STAT_H

#include <sys/types.h>

struct stat {
	mode_t st_mode;
	off_t st_size;
};

#define S_IFMT  0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)

int stat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);
int mkdir(const char *path, mode_t mode);

#endif
