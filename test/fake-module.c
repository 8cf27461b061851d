// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Not a module that loads: an object with just the .modinfo strings that
 * depmod reads (name, alias, license, vermagic), for a modules directory in
 * the "driver auto" test. NAME and ALIAS come from the compiler's command line.
 */
#define STR_(x) #x
#define STR(x)  STR_(x)

__attribute__((section(".modinfo"), used, aligned(1))) static const char modinfo[] =
        "license=GPL\0name=" STR(NAME) "\0alias=" ALIAS "\0depends=\0vermagic=9.9.9-fake SMP mod_unload \0";
