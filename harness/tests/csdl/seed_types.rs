//! The seed types of graph-types.md, checked against the beta metadata property by property.

use serde_json::{Value, json};

/// (property, EDM type as written in graph-types.md, nullable)
type Prop = (&'static str, &'static str, bool);

/// (type, its properties, inherited first)
const STRUCTURED: &[(&str, &[Prop])] = &[
    (
        "microsoft.graph.userSecurityProfile",
        &[
            ("id", "Edm.String", false),
            ("accounts", "Collection(microsoft.graph.userAccount)", true),
            ("azureSubscriptionId", "Edm.String", true),
            ("azureTenantId", "Edm.String", false),
            ("createdDateTime", "Edm.DateTimeOffset", true),
            ("displayName", "Edm.String", true),
            ("lastModifiedDateTime", "Edm.DateTimeOffset", true),
            ("riskScore", "Edm.String", true),
            ("tags", "Collection(Edm.String)", true),
            ("userPrincipalName", "Edm.String", true),
            (
                "vendorInformation",
                "microsoft.graph.securityVendorInformation",
                true,
            ),
        ],
    ),
    (
        "microsoft.graph.hostSecurityProfile",
        &[
            ("id", "Edm.String", false),
            ("azureSubscriptionId", "Edm.String", true),
            ("azureTenantId", "Edm.String", false),
            ("firstSeenDateTime", "Edm.DateTimeOffset", true),
            ("fqdn", "Edm.String", true),
            ("isAzureAdJoined", "Edm.Boolean", true),
            ("isAzureAdRegistered", "Edm.Boolean", true),
            ("isHybridAzureDomainJoined", "Edm.Boolean", true),
            ("lastSeenDateTime", "Edm.DateTimeOffset", true),
            ("logonUsers", "Collection(microsoft.graph.logonUser)", true),
            ("netBiosName", "Edm.String", true),
            (
                "networkInterfaces",
                "Collection(microsoft.graph.networkInterface)",
                true,
            ),
            ("os", "Edm.String", true),
            ("osVersion", "Edm.String", true),
            ("parentHost", "Edm.String", true),
            ("relatedHostIds", "Collection(Edm.String)", true),
            ("riskScore", "Edm.String", true),
            ("tags", "Collection(Edm.String)", true),
            (
                "vendorInformation",
                "microsoft.graph.securityVendorInformation",
                true,
            ),
        ],
    ),
    (
        "microsoft.graph.ipSecurityProfile",
        &[
            ("id", "Edm.String", false),
            ("activityGroupNames", "Collection(Edm.String)", true),
            ("address", "Edm.String", true),
            ("azureSubscriptionId", "Edm.String", true),
            ("azureTenantId", "Edm.String", false),
            ("countHits", "Edm.Int32", true),
            ("countHosts", "Edm.Int32", true),
            ("firstSeenDateTime", "Edm.DateTimeOffset", true),
            (
                "ipCategories",
                "Collection(microsoft.graph.ipCategory)",
                true,
            ),
            (
                "ipReferenceData",
                "Collection(microsoft.graph.ipReferenceData)",
                true,
            ),
            ("lastSeenDateTime", "Edm.DateTimeOffset", true),
            ("riskScore", "Edm.String", true),
            ("tags", "Collection(Edm.String)", true),
            (
                "vendorInformation",
                "microsoft.graph.securityVendorInformation",
                true,
            ),
        ],
    ),
    (
        "microsoft.graph.userAccount",
        &[
            ("displayName", "Edm.String", true),
            ("lastSeenDateTime", "Edm.DateTimeOffset", true),
            ("riskScore", "Edm.String", true),
            ("service", "Edm.String", true),
            ("signinName", "Edm.String", true),
            ("status", "microsoft.graph.accountStatus", true),
        ],
    ),
    (
        "microsoft.graph.logonUser",
        &[
            ("accountDomain", "Edm.String", true),
            ("accountName", "Edm.String", true),
            (
                "accountType",
                "microsoft.graph.userAccountSecurityType",
                true,
            ),
            ("firstSeenDateTime", "Edm.DateTimeOffset", true),
            ("lastSeenDateTime", "Edm.DateTimeOffset", true),
            ("logonId", "Edm.String", true),
            ("logonTypes", "Collection(microsoft.graph.logonType)", true),
        ],
    ),
    (
        "microsoft.graph.networkInterface",
        &[
            ("description", "Edm.String", true),
            ("ipV4Address", "Edm.String", true),
            ("ipV6Address", "Edm.String", true),
            ("localIpV6Address", "Edm.String", true),
            ("macAddress", "Edm.String", true),
        ],
    ),
    (
        "microsoft.graph.ipCategory",
        &[
            ("description", "Edm.String", true),
            ("name", "Edm.String", true),
            ("vendor", "Edm.String", true),
        ],
    ),
    (
        "microsoft.graph.ipReferenceData",
        &[
            ("asn", "Edm.Int64", true),
            ("city", "Edm.String", true),
            ("countryOrRegionCode", "Edm.String", true),
            ("organization", "Edm.String", true),
            ("state", "Edm.String", true),
            ("vendor", "Edm.String", true),
        ],
    ),
    (
        "microsoft.graph.securityVendorInformation",
        &[
            ("provider", "Edm.String", true),
            ("providerVersion", "Edm.String", true),
            ("subProvider", "Edm.String", true),
            ("vendor", "Edm.String", true),
        ],
    ),
    ("microsoft.graph.entity", &[("id", "Edm.String", false)]),
];

const ENUMS: &[(&str, &[&str])] = &[
    (
        "microsoft.graph.accountStatus",
        &[
            "unknown",
            "staged",
            "active",
            "suspended",
            "deleted",
            "unknownFutureValue",
        ],
    ),
    (
        "microsoft.graph.userAccountSecurityType",
        &[
            "unknown",
            "standard",
            "power",
            "administrator",
            "unknownFutureValue",
        ],
    ),
    (
        "microsoft.graph.logonType",
        &[
            "unknown",
            "interactive",
            "remoteInteractive",
            "network",
            "batch",
            "service",
            "unknownFutureValue",
        ],
    ),
];

/// The schema graph-types.md's mapping table prescribes, written out independently of the module.
fn expected(edm: &str, nullable: bool) -> Value {
    let (inner, collection) = match edm.strip_prefix("Collection(") {
        Some(rest) => (rest.trim_end_matches(')'), true),
        None => (edm, false),
    };
    let (base, is_ref) = match inner {
        "Edm.String" => (json!({"type": "string"}), false),
        "Edm.Boolean" => (json!({"type": "boolean"}), false),
        "Edm.Int32" => (
            json!({"type": "integer", "minimum": -2147483648i64, "maximum": 2147483647}),
            false,
        ),
        "Edm.Int64" => (
            json!({"type": ["integer", "string"], "minimum": i64::MIN, "maximum": i64::MAX,
                   "pattern": "^-?[0-9]+$"}),
            false,
        ),
        "Edm.DateTimeOffset" => (json!({"type": "string", "format": "date-time"}), false),
        other => (json!({"$ref": other}), true),
    };
    let element = if !nullable {
        base
    } else if is_ref {
        json!({"anyOf": [base, {"type": "null"}]})
    } else {
        let mut b = base;
        match b["type"].take() {
            Value::Array(mut types) => {
                types.push(json!("null"));
                b["type"] = Value::Array(types);
            }
            t => b["type"] = json!([t, "null"]),
        }
        b
    };
    if collection {
        json!({"type": "array", "items": element})
    } else {
        element
    }
}

#[test]
fn seed_structured_types_match_graph_types_md() {
    let Some(meta) = crate::common::corpus(crate::common::BETA) else {
        return;
    };
    for (name, props) in STRUCTURED {
        let schema = match meta.schema_for(name) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        };
        let got: Vec<&str> = schema["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let want: Vec<&str> = props.iter().map(|p| p.0).collect();
        assert_eq!(got, want, "{name}: property names/order");
        for (prop, edm, nullable) in props.iter() {
            assert_eq!(
                schema["properties"][prop],
                expected(edm, *nullable),
                "{name}.{prop}"
            );
        }
        let non_nullable: Vec<&str> = props.iter().filter(|p| !p.2).map(|p| p.0).collect();
        assert_eq!(schema["x-nonNullable"], json!(non_nullable), "{name}");
        assert_eq!(schema["x-navigationProperties"], json!([]), "{name}");
        assert!(
            schema.get("required").is_none(),
            "{name}: nothing is required"
        );
        assert_eq!(schema["patternProperties"], json!({"@": {}}), "{name}");

        let is_profile = name.ends_with("SecurityProfile");
        let is_entity = is_profile || *name == "microsoft.graph.entity";
        assert_eq!(schema["additionalProperties"], json!(is_profile), "{name}");
        assert_eq!(schema.get("x-openType").is_some(), is_profile, "{name}");
        assert_eq!(
            schema["x-kind"],
            json!(if is_entity { "entity" } else { "complex" }),
            "{name}"
        );
        if is_profile {
            assert_eq!(schema["x-baseType"], "microsoft.graph.entity", "{name}");
            assert!(meta.is_derived_from(name, "graph.entity"));
            assert_eq!(
                meta.base_type(name).ok().flatten().as_deref(),
                Some("microsoft.graph.entity")
            );
        } else {
            assert!(schema.get("x-baseType").is_none(), "{name}");
        }
        assert_eq!(
            schema.get("x-abstract").is_some(),
            *name == "microsoft.graph.entity",
            "{name}"
        );
    }
}

#[test]
fn seed_enums_match_graph_types_md() {
    let Some(meta) = crate::common::corpus(crate::common::BETA) else {
        return;
    };
    for (name, members) in ENUMS {
        let schema = match meta.schema_for(name) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        };
        assert_eq!(
            schema,
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": name,
                "title": name,
                "x-kind": "enum",
                "type": "string",
                "enum": members,
            })
        );
    }
}

#[test]
fn seed_closure_is_exactly_the_seed_set() {
    let Some(meta) = crate::common::corpus(crate::common::BETA) else {
        return;
    };
    let roots: Vec<String> = [
        "microsoft.graph.userSecurityProfile",
        "graph.hostSecurityProfile",
        "#microsoft.graph.ipSecurityProfile",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let closure = meta.closure(&roots).unwrap_or_else(|e| panic!("{e}"));
    let mut want: Vec<&str> = STRUCTURED
        .iter()
        .map(|s| s.0)
        .chain(ENUMS.iter().map(|e| e.0))
        .collect();
    want.sort_unstable();
    assert_eq!(closure, want);
    // The security.userAccount look-alike must not be confused with graph.userAccount.
    assert!(!meta.has_type("microsoft.graph.security.userAccount"));
}
