/* feature.h — the optional features of an Edge deployment, and which of
 * them a site offers (the site file's [deployment] section).
 *
 * The document says "open only the ports for the features you offer to
 * external access" (建議您僅針對要提供給外部存取的功能，開啟支援所需的連接埠).
 * Each matrix row names the features it serves (`feature = …`); a row
 * none of whose features the site offers is closed by the profile, and a
 * flow that only closed rows would allow is unexpected, with the reason.
 * The list is closed and documented in signatures/README.md.
 * Pipeline position: configuration loading; read by the matcher. */
#ifndef EA_FEATURE_H
#define EA_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	EA_FEATURE_SIP_FEDERATION = 0,   /* "sip-federation" */
	EA_FEATURE_OCS2007_FEDERATION,   /* "ocs2007-federation", needs sip-federation */
	EA_FEATURE_XMPP_FEDERATION,      /* "xmpp-federation" */
	EA_FEATURE_PUBLIC_IM,            /* "public-im" (Windows Live Messenger) */
	EA_FEATURE_REMOTE_ACCESS,        /* "remote-access" (external users' clients) */
	EA_FEATURE_WEB_CONFERENCING,     /* "web-conferencing" */
	EA_FEATURE_AUDIO_VIDEO,          /* "audio-video" */
	EA_FEATURE_COUNT
} ea_feature;

/* A set of features, bit (1u << ea_feature). 0: none. */
typedef uint32_t ea_feature_set;

/* The matrix's name ("xmpp-federation"); NULL out of range. */
const char *ea_feature_name(ea_feature f);
/* The site file's key ("xmpp_federation"); NULL out of range. */
const char *ea_feature_site_key(ea_feature f);
/* The feature a matrix name or a site key names, or -1. */
int ea_feature_by_name(const char *name);
int ea_feature_by_site_key(const char *key);

/* The features a site does not offer, given the ones its file turned off
 * (off): a feature is also off when the feature it needs is (federation
 * with OCS 2007 partners is SIP federation). */
ea_feature_set ea_features_effective_off(ea_feature_set off);

/* Whether a row serving the features row (0: always open) is closed for
 * a site that turned off the features off: 0 when the site offers any of
 * the row's features, else the features turned off that close it (a
 * feature's own bit, or the bit of the feature it needs). */
ea_feature_set ea_features_closing(ea_feature_set row, ea_feature_set off);

/* "sip-federation, public-im" into buf (size bytes, always terminated);
 * "" for the empty set. Returns buf. */
const char *ea_features_text(ea_feature_set set, char *buf, size_t size);

#endif
