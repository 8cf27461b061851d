/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-claim.h"

struct dev_names {
        char class_name[128];
        char vendor[128];
        char model[256];
        char subsys[256];
};

/* Names from the udev hwdb; false when built without libudev or unknown. */
bool names_lookup(const struct vc_dev *dev, struct dev_names *ret);
void names_done(void);
/* lspci's name of the class for the common ones, else "Class". */
const char *names_class_fallback(uint32_t class);
