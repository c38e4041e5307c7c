/* bootfarm test fixture: stands in for a kernel module that needs a symbol of nf_nat, so that
 * `depmod -b ROOT VERSION` writes a dependency line for it. */
extern int nf_nat_fixture_setup(void);
int xt_redirect_fixture_target(void) { return nf_nat_fixture_setup() + 1; }

__attribute__((section(".modinfo"), used, aligned(1))) static const char license[] = "license=GPL";
__attribute__((section(".modinfo"), used, aligned(1))) static const char name[] = "name=xt_REDIRECT";
