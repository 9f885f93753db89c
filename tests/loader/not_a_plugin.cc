// An ordinary shared library: ELF, but no strata_plugin marker section.
extern "C" int not_a_plugin_function(void) { return 42; }
