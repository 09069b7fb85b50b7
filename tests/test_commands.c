#include <check.h>
Suite *commands_suite(void);
Suite *commands_suite(void)
{
    return suite_create("commands");
}
