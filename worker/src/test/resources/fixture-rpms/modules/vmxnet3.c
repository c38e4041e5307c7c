/* bootfarm test fixture: stands in for a kernel module with no dependencies. */
int vmxnet3_fixture_probe(void) { return 3; }

__attribute__((section(".modinfo"), used, aligned(1))) static const char license[] = "license=GPL";
__attribute__((section(".modinfo"), used, aligned(1))) static const char name[] = "name=vmxnet3";
__attribute__((section(".modinfo"), used, aligned(1))) static const char alias[] = "alias=pci:v000015ADd000007B0sv*sd*bc*sc*i*";
