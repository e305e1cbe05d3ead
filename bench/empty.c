/* empty.c - the trivial program whose start-to-exit time bench/run.sh
 * measures (with bench/timeit), natively and as `ufork run`. */
int main(void)
{
	return 0;
}
