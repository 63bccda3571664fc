/*
 * tools/commands.h: the `brownout` subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 an expectation, invariant or verification failed, 2 bad input or usage.
 */
#ifndef BROWNOUT_COMMANDS_H
#define BROWNOUT_COMMANDS_H

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

int cmd_flash_demo(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
