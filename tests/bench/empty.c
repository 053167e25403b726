/* make bench: the exec floor, a static program that does nothing. */
int main(void)
{
	return 0;
}
