// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reader of libvirt's domain definitions (lib/libvirt.c) on its own:
 * what libvirt's parser makes of a hostdev (the default of mode and of
 * managed, strtoul's base 0 for the address values, the host address in
 * <source> and not the guest's beside it), the XML it must take (quotes,
 * entities, character references, CDATA, comments, processing instructions)
 * and what it must refuse, with the line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vfio-claim-libvirt.h"

static int parse(const char *xml, struct vc_libvirt_domain *d, struct vc_libvirt_error *e)
{
        *d = (struct vc_libvirt_domain){0};
        *e = (struct vc_libvirt_error){0};
        return vc_libvirt_parse(xml, strlen(xml), d, e);
}

TEST(hostdevs)
{
        static const char xml[] =
                "<?xml version=\"1.0\"?>\n"
                "<domain type='kvm'>\n"
                "  <name>r&amp;d &#x263A;</name>\n"
                "  <devices>\n"
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>\n"
                "      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>\n"
                "    </hostdev>\n"
                "    <hostdev type=\"pci\">\n"
                "      <address type=\"pci\" bus=\"0x06\"/>\n"
                "      <source><address bus=\"10\" slot=\"31\" function=\"7\"/></source>\n"
                "    </hostdev>\n"
                "    <hostdev mode='subsystem' type='&#112;ci' managed='maybe'>"
                "<source><address domain='0x10000' bus='010' slot='0x1F'/></source></hostdev>\n"
                "    <hostdev mode='subsystem' type='usb' managed='no'><source><address bus='1' device='2'/>"
                "</source></hostdev>\n"
                "    <hostdev mode='capabilities' type='storage'><source><block>/dev/sdb</block></source></hostdev>\n"
                "    <interface type='hostdev' managed='yes'><source><address type='pci' bus='0x03'/></source>"
                "</interface>\n"
                "    <!-- <hostdev mode='subsystem' type='pci'> -->\n"
                "  </devices>\n"
                "  <description><![CDATA[<hostdev type='pci'>]]></description>\n"
                "</domain>\n";
        struct vc_libvirt_domain d;
        struct vc_libvirt_error e;

        CHECK_INT(parse(xml, &d, &e), 0);
        CHECK_STR(d.name, "r&d \xe2\x98\xba");
        CHECK_INT(d.n_hostdevs, 3);
        if (d.n_hostdevs == 3) {
                CHECK_STR(d.hostdevs[0].addr, "0000:01:00.1");
                CHECK(d.hostdevs[0].managed == VC_MANAGED_YES, "managed='yes'");
                CHECK_INT(d.hostdevs[0].line, 5);
                /* The guest's <address> comes first here: still the one in <source> counts. */
                CHECK_STR(d.hostdevs[1].addr, "0000:0a:1f.7");
                CHECK(d.hostdevs[1].managed == VC_MANAGED_ABSENT, "no managed attribute");
                CHECK_INT(d.hostdevs[1].line, 9);
                /* Octal 010, a domain wider than 4 digits, a function left out (0). */
                CHECK_STR(d.hostdevs[2].addr, "10000:08:1f.0");
                CHECK(d.hostdevs[2].managed == VC_MANAGED_NO, "managed='maybe' is libvirt's 'no'");
        }
        vc_libvirt_domain_clear(&d);

        CHECK_INT(parse("<domain><name><![CDATA[vm-1]]></name></domain>", &d, &e), 0);
        CHECK_STR(d.name, "vm-1");
        CHECK_INT(d.n_hostdevs, 0);
        vc_libvirt_domain_clear(&d);
        CHECK_INT(parse("\xef\xbb\xbf<domain/>", &d, &e), 0);
        CHECK(d.name == NULL, "no <name>: NULL");
        vc_libvirt_domain_clear(&d);
}

TEST(refused)
{
        static const struct {
                const char *xml;
                unsigned line;
                const char *reason;
        } bad[] = {
                {"", 1, "no <domain> element"},
                {"  \n ", 2, "no <domain> element"},
                {"<domain>\n<name>x</name>\n", 1, "<domain> not closed at the end of the file"},
                {"<domain>\n<devices></domain>", 2, "</domain> where </devices> (line 2) was due"},
                {"<domain></domain><domain/>", 1, "a second root element after </domain>"},
                {"<domain></domain>\ntext", 2, "text after </domain>"},
                {"<!DOCTYPE domain [<!ENTITY x 'y'>]><domain/>", 1, "a DOCTYPE or declaration"},
                {"<domain a='1' a='2'/>", 1, "attribute a given twice"},
                {"<domain a=1/>", 1, "attribute a's value is not quoted"},
                {"<domain a='<'/>", 1, "a '<' in an attribute value"},
                {"<domain a='1'b='2'/>", 1, "no blank between two attributes"},
                {"<domain>\n< name/></domain>", 2, "a '<' that starts no tag"},
                {"<domain>&bogus;</domain>", 1, "a bad entity or character reference in text"},
                {"<domain><name>a&#27;[31m</name></domain>", 1, "a bad entity or character reference in <name>"},
                {"<domain><name>a\nb</name></domain>", 1, "a control character in <name>"},
                {"<domain><name>a\xc2\x9b"
                 "b</name></domain>",
                 1, "a control character in <name>"},
                {"<domain>\x01</domain>", 1, "a control character (0x01) in text"},
                {"<domain><!-- a -- b --></domain>", 1, "'--' inside a comment"},
                {"<domain><!-- open", 1, "a comment not closed"},
                {"<domain>\n<devices>\n<hostdev mode='subsystem' type='pci'>\n</hostdev>", 4,
                 "a PCI <hostdev> (line 3) without <source><address .../></source>"},
                {"<domain><devices><hostdev type='pci'><source><address slot='0x20'/></source></hostdev></devices>"
                 "</domain>",
                 1, "<hostdev>'s source address: slot='0x20' is not a number up to 0x1f"},
                {"<domain><devices><hostdev type='pci'><source><address bus='-1'/></source></hostdev></devices>"
                 "</domain>",
                 1, "<hostdev>'s source address: bus='-1' is not a number up to 0xff"},
                {"<domain><devices><hostdev type='pci'><source><address bus='0x'/></source></hostdev></devices>"
                 "</domain>",
                 1, "<hostdev>'s source address: bus='0x' is not a number up to 0xff"},
                {"<domain><devices><hostdev type='pci'><source><address bus='08'/></source></hostdev></devices>"
                 "</domain>",
                 1, "<hostdev>'s source address: bus='08' is not a number up to 0xff"},
                {"<network/>", 1, "the root element is <network>, not <domain>"},
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct vc_libvirt_domain d;
                struct vc_libvirt_error e;
                int k = parse(bad[i].xml, &d, &e);

                CHECK(k == -EBADMSG && e.line == bad[i].line && strstr(e.reason, bad[i].reason),
                      "refused at line %u (%s): got %d, line %u, '%s'", bad[i].line, bad[i].reason, k, e.line,
                      e.reason);
                CHECK(d.name == NULL && d.hostdevs == NULL, "the domain is left untouched");
        }
}

/* Deep nesting ends in an error, not a crash. */
TEST(deep)
{
        size_t n = 10000;
        char *xml = malloc(8 + n * 3 + 1), *p = xml;
        struct vc_libvirt_domain d;
        struct vc_libvirt_error e;

        SETUP(xml ? 0 : -ENOMEM);
        p = stpcpy(p, "<domain>");
        for (size_t i = 0; i < n; i++)
                p = stpcpy(p, "<a>");
        CHECK(parse(xml, &d, &e) == -EBADMSG && strstr(e.reason, "nested deeper than"), "%s", e.reason);
        free(xml);
}
