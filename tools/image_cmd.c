#include "tools/commands.h"
int cmd_image(int argc, char **argv) { (void)argc; (void)argv; return 2; }
