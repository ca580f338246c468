/* feature.c — the closed list of an Edge's optional features; feature.h.
 *
 * Names follow the document's own words for what a site offers: SIP
 * federation (同盟), federation with Office Communications Server 2007
 * partners, XMPP federation, public IM connectivity (公用 IM 連線),
 * external user access (外部使用者存取), web conferencing (Web 會議) and
 * audio/video (音訊/視訊 (A/V)), as the introduction lists them. */
#include "rules/feature.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	const char *name, *site_key;
	int needs; /* the feature it is part of, or -1 */
} feature_def;

static const feature_def features[EA_FEATURE_COUNT] = {
	[EA_FEATURE_SIP_FEDERATION] = {"sip-federation", "sip_federation", -1},
	/* Its rows are the A/V media of a SIP federation: without SIP
	 * federation there is no OCS 2007 partner to send media to. */
	[EA_FEATURE_OCS2007_FEDERATION] = {"ocs2007-federation", "ocs2007_federation", EA_FEATURE_SIP_FEDERATION},
	[EA_FEATURE_XMPP_FEDERATION] = {"xmpp-federation", "xmpp_federation", -1},
	[EA_FEATURE_PUBLIC_IM] = {"public-im", "public_im", -1},
	[EA_FEATURE_REMOTE_ACCESS] = {"remote-access", "remote_access", -1},
	[EA_FEATURE_WEB_CONFERENCING] = {"web-conferencing", "web_conferencing", -1},
	[EA_FEATURE_AUDIO_VIDEO] = {"audio-video", "audio_video", -1},
};

const char *ea_feature_name(ea_feature f)
{
	return (unsigned)f < EA_FEATURE_COUNT ? features[f].name : NULL;
}

const char *ea_feature_site_key(ea_feature f)
{
	return (unsigned)f < EA_FEATURE_COUNT ? features[f].site_key : NULL;
}

int ea_feature_by_name(const char *name)
{
	for (int i = 0; i < EA_FEATURE_COUNT; i++)
		if (strcmp(features[i].name, name) == 0)
			return i;
	return -1;
}

int ea_feature_by_site_key(const char *key)
{
	for (int i = 0; i < EA_FEATURE_COUNT; i++)
		if (strcmp(features[i].site_key, key) == 0)
			return i;
	return -1;
}

ea_feature_set ea_features_effective_off(ea_feature_set off)
{
	ea_feature_set eff = off;
	for (int i = 0; i < EA_FEATURE_COUNT; i++)
		if (features[i].needs >= 0 && (off & (1u << features[i].needs)))
			eff |= 1u << i;
	return eff;
}

ea_feature_set ea_features_closing(ea_feature_set row, ea_feature_set off)
{
	if (row == 0 || (row & ~ea_features_effective_off(off)) != 0)
		return 0;
	ea_feature_set why = 0;
	for (int i = 0; i < EA_FEATURE_COUNT; i++) {
		if (!(row & (1u << i)))
			continue;
		if (off & (1u << i))
			why |= 1u << i;
		else if (features[i].needs >= 0)
			why |= off & (1u << features[i].needs);
	}
	return why;
}

const char *ea_features_text(ea_feature_set set, char *buf, size_t size)
{
	size_t used = 0;
	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (int i = 0; i < EA_FEATURE_COUNT; i++) {
		if (!(set & (1u << i)))
			continue;
		int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", features[i].name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return buf;
}
