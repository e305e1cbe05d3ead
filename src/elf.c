/*
 * elf.c - checking and loading static-PIE x86-64 executables.
 *
 * image_open copies the file into a sealed memfd (a binary rebuilt while it
 * runs must not change the code of its µprocesses) after elf_check accepted
 * it.  image_map maps it at a slot base: read-only and executable segments
 * are mapped from the memfd (never copied), writable ones are copied into
 * anonymous memory (not at fork: IMAGE_TEXT maps the first kind only, the
 * child's data comes from its parent's regions).  All offsets kept in
 * struct image are relative to the load base, so one image serves every
 * slot.
 *
 * With --fast-syscalls the copy's syscall sites are rewritten (rewrite.c)
 * before it is sealed, so exec gets the same treatment as the first program.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ufork.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int elf_check(const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	if (len < 4 || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return ERR("not an ELF executable");
	if (len < sizeof(Elf64_Ehdr))
		return ERR("truncated ELF file (%zu bytes)", len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return ERR("not an x86-64 ELF executable");
	if (eh->e_type == ET_EXEC)
		return ERR("not position-independent (ET_EXEC): build a static-PIE "
			   "executable, e.g. with ufork-cc");
	if (eh->e_type != ET_DYN)
		return ERR("not an executable ELF file (type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64)
		return ERR("malformed ELF program headers");
	if (eh->e_phoff > len || len - eh->e_phoff < (size_t)eh->e_phnum * sizeof(Elf64_Phdr))
		return ERR("truncated ELF file (program headers beyond its %zu bytes)", len);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff);
	int loads = 0;
	uint64_t prev_end = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP)
			return ERR("dynamically linked executable (has an interpreter): "
				   "ufork runs static-PIE executables only");
		if (ph[i].p_type != PT_LOAD)
			continue;
		const Elf64_Phdr *p = &ph[i];
		if (p->p_filesz > p->p_memsz || p->p_offset > len || len - p->p_offset < p->p_filesz)
			return ERR("truncated ELF file (a segment lies beyond its %zu bytes)", len);
		if ((p->p_offset % PAGE_SIZE) != (p->p_vaddr % PAGE_SIZE) ||
		    p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > (1UL << 32))
			return ERR("malformed ELF load segment");
		if (p->p_vaddr < prev_end)
			return ERR("ELF load segments out of order");
		prev_end = p->p_vaddr + p->p_memsz;
		loads++;
	}
	if (!loads)
		return ERR("ELF file has nothing to load");
	if (eh->e_entry >= prev_end)
		return ERR("ELF entry point outside the image");
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			return 0;
	return ERR("not a static-PIE executable (no dynamic section to self-relocate)");
}

int image_open(const char *path, struct image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof *img);
	img->memfd = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ERR("%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ERR("%s: not a regular file", path);
	}
	size_t len = st.st_size;
	unsigned char *buf = malloc(len ? len : 1);
	size_t got = 0;
	while (buf && got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	if (!buf || got != len) {
		free(buf);
		return ERR("%s: cannot read the file", path);
	}
	char why[200];
	if (elf_check(buf, len, why, sizeof why) < 0) {
		free(buf);
		return ERR("%s: %s", path, why);
	}
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff);
	img->entry = eh->e_entry;
	img->phnum = eh->e_phnum;
	img->phdr = 0;
	uintptr_t start_data = 0, end_data = 0;	/* as Linux's ELF loader sets them */
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR)
			img->phdr = ph[i].p_vaddr;
		if (ph[i].p_type == PT_LOAD) {
			img->span = PAGE_UP(ph[i].p_vaddr + ph[i].p_memsz);
			if (ph[i].p_vaddr > start_data)
				start_data = ph[i].p_vaddr;
			if (ph[i].p_vaddr + ph[i].p_filesz > end_data)
				end_data = ph[i].p_vaddr + ph[i].p_filesz;
			if (!img->phdr && eh->e_phoff >= ph[i].p_offset &&
			    eh->e_phoff < ph[i].p_offset + ph[i].p_filesz)
				img->phdr = ph[i].p_vaddr + eh->e_phoff - ph[i].p_offset;
		}
	}
	img->data_size = end_data > start_data ? end_data - start_data : 0;

	/* under isolation, no code that can change PKRU, and W^X (pkey.c) */
	for (int i = 0; ufork_pkru_on && i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		long at = pkey_scan_code(buf + ph[i].p_offset, ph[i].p_filesz);
		if ((ph[i].p_flags & PF_W) || at >= 0) {
			if (at < 0)
				snprintf(err, errlen, "%s: a writable and executable segment "
					 "(refused under --isolation)", path);
			else
				snprintf(err, errlen, "%s: WRPKRU, XRSTOR or WRGSBASE in executable code at "
					 "file offset %#lx (refused under --isolation)", path,
					 (unsigned long)(ph[i].p_offset + at));
			free(buf);
			return -EACCES;
		}
	}

	if (fast_syscalls) {
		struct rewrite_result rr;
		int bad = rewrite_syscalls(buf, len, &rr) < 0;
		img->sites = rr.sites;
		img->nsites = rr.nsites;
		if (bad || trace_syscalls || show_stats)
			ulog("ufork: %s: %d syscall sites rewritten, %d left as syscall "
			     "(%d near red-zone data, %d rt_sigreturn)%s\n", path, rr.nsites,
			     rr.redzone + rr.sigreturn, rr.redzone, rr.sigreturn,
			     bad ? "; out of memory: the rest left too" : "");
	}

	int mfd = memfd_create("ufork-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		free(buf);
		free(img->sites);
		return ERR("memfd_create: %s", strerror(errno));
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(mfd, buf + off, len - off);
		if (w <= 0)
			break;
		off += w;
	}
	free(buf);
	if (off != len || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
				F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		close(mfd);
		free(img->sites);
		return ERR("cannot make a sealed copy of %s: %s", path, strerror(errno));
	}
	img->memfd = runtime_fd(mfd);
	img->refs = 1;
	img->path = strdup(path);
	return 0;
}

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) |
	       (pf & PF_X ? PROT_EXEC : 0);
}

int image_map(struct image *img, uintptr_t base, struct vma_list *vmas, int what)
{
	Elf64_Ehdr eh;
	if (pread(img->memfd, &eh, sizeof eh, 0) != sizeof eh)
		return -EIO;
	Elf64_Phdr ph[64];
	size_t phlen = eh.e_phnum * sizeof(Elf64_Phdr);
	if (pread(img->memfd, ph, phlen, eh.e_phoff) != (ssize_t)phlen)
		return -EIO;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		uintptr_t start = base + PAGE_DOWN(p->p_vaddr);
		uintptr_t fend = base + PAGE_UP(p->p_vaddr + p->p_filesz);
		uintptr_t end = base + PAGE_UP(p->p_vaddr + p->p_memsz);
		size_t pad = p->p_vaddr % PAGE_SIZE;
		int prot = prot_of(p->p_flags);
		if (!(prot & PROT_WRITE)) {
			void *r = mmap((void *)start, fend - start, prot, MAP_PRIVATE | MAP_FIXED,
				       img->memfd, p->p_offset - pad);
			if (r == MAP_FAILED)
				return -errno;
			pkey_apply(start, fend - start, prot);
			vma_insert(vmas, start, fend, prot, MAP_PRIVATE, VMA_IMAGE);
			if (end > fend) {
				if (mmap((void *)fend, end - fend, prot,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
					return -errno;
				pkey_apply(fend, end - fend, prot);
				vma_insert(vmas, fend, end, prot, MAP_PRIVATE | MAP_ANONYMOUS,
					   VMA_IMAGE);
			}
			continue;
		}
		/* writable: private anonymous copy, zero-filled past p_filesz */
		if (what == IMAGE_TEXT)
			continue;
		if (mmap((void *)start, end - start, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -errno;
		pkey_apply(start, end - start, PROT_READ | PROT_WRITE);
		ssize_t want = pad + p->p_filesz;
		if (pread(img->memfd, (void *)start, want, p->p_offset - pad) != want)
			return -EIO;
		if (prot != (PROT_READ | PROT_WRITE))
			mprotect((void *)start, end - start, prot);
		vma_insert(vmas, start, end, prot, MAP_PRIVATE | MAP_ANONYMOUS, VMA_IMAGE);
	}
	return 0;
}

void image_put(struct image *img)
{
	if (__atomic_sub_fetch(&img->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (img->memfd >= 0)
		close(img->memfd);
	free(img->path);
	free(img->sites);
	free(img);
}

/* The address of dynamic symbol `name` in an ELF shared object laid out in
 * memory (a vDSO: the host's, or the one we give µprocesses), or NULL.  Its
 * first PT_LOAD gives the load bias; symbols are found through DT_HASH. */
void *elf_dynsym(const void *image, const char *name)
{
	const Elf64_Ehdr *eh = image;
	const char *at = image;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_phentsize != sizeof(Elf64_Phdr))
		return NULL;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(at + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	uintptr_t base = 0;
	int loaded = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !loaded) {
			base = (uintptr_t)at + ph[i].p_offset - ph[i].p_vaddr;
			loaded = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(at + ph[i].p_offset);
		}
	}
	const uint32_t *hash = NULL;
	const Elf64_Sym *syms = NULL;
	const char *strs = NULL;
	for (; loaded && dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_HASH)
			hash = (const uint32_t *)(base + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_SYMTAB)
			syms = (const Elf64_Sym *)(base + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			strs = (const char *)(base + dyn->d_un.d_ptr);
	}
	if (!hash || !syms || !strs)
		return NULL;
	for (uint32_t i = 0; i < hash[1]; i++)	/* nchain: one per symbol */
		if (syms[i].st_shndx != SHN_UNDEF && !strcmp(strs + syms[i].st_name, name))
			return (void *)(base + syms[i].st_value);
	return NULL;
}
