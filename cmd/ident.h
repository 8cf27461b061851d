/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-claim.h"

/* A device's serial, slot and path, for an admin to copy into a rule; read
 * them first with vc_dev_read_serial_slot_path(..., VC_IDENT_ALL). */
void ident_print_human(const struct vc_dev *d, const char *indent);
/* "serial", "slot", "path" as members of the open JSON object; null when the device has none. */
void ident_json(const struct vc_dev *d);
