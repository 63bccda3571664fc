#include "tools/commands.h"
int cmd_flash_demo(int argc, char **argv) { (void)argc; (void)argv; return 0; }
