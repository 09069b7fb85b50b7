/* The main() of every Check test executable. Each test file exports one suite function;
 * meson compiles this file with -DRC_SUITE=<that function>. */
#include <check.h>
#include <stdlib.h>

Suite *RC_SUITE(void);

int main(void)
{
    SRunner *runner = srunner_create(RC_SUITE());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
