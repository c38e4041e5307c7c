/* bootfarm test fixture: stands in for a kernel module that exports a symbol. depmod reads the
 * exported names from the __ksymtab_strings section, so one entry there is enough for
 * xt_REDIRECT's undefined reference to resolve to this module in modules.dep. */
int nf_nat_fixture_setup(void) { return 42; }

__attribute__((section("__ksymtab_strings"), used, aligned(1)))
static const char exported[] = "nf_nat_fixture_setup";
__attribute__((section(".modinfo"), used, aligned(1))) static const char license[] = "license=GPL";
__attribute__((section(".modinfo"), used, aligned(1))) static const char name[] = "name=nf_nat";
