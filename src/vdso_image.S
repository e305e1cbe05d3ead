/*
 * vdso_image.S - the vDSO that µprocesses get (built from src/vdso/image.c
 * into build/vdso.so), embedded in the runtime as bytes; src/vdso.c maps it.
 */
	.section .rodata
	.balign 4096
	.globl vdso_image, vdso_image_end
vdso_image:
	.incbin VDSO_FILE
vdso_image_end:
	.section .note.GNU-stack, "", @progbits
