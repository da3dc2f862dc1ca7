//! Instances that must pass or fail against the generated schemas.

use std::collections::BTreeMap;

use conform::schema::csdl::Metadata;
use serde_json::{Value, json};

/// Checks each `(type, instance, expected validity)` with one registry over all `schemas`.
fn check(schemas: &BTreeMap<String, Value>, cases: &[(&str, Value, bool)]) {
    let registry = crate::common::registry(schemas);
    let mut wrong = Vec::new();
    for (name, instance, want) in cases {
        let Some(schema) = schemas.get(*name) else {
            panic!("no schema for {name}");
        };
        let validator = match crate::common::validator(&registry, schema) {
            Ok(v) => v,
            Err(e) => panic!("{name}: {e}"),
        };
        if validator.is_valid(instance) != *want {
            let errors: Vec<String> = validator
                .iter_errors(instance)
                .map(|e| e.to_string())
                .collect();
            wrong.push(format!(
                "{name} {instance} expected valid={want}; errors: {errors:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn seed_instances() {
    let Some(meta) = crate::common::corpus(crate::common::BETA) else {
        return;
    };
    let roots = [
        "microsoft.graph.userSecurityProfile".to_string(),
        "microsoft.graph.hostSecurityProfile".to_string(),
        "microsoft.graph.ipSecurityProfile".to_string(),
    ];
    let names = meta.closure(&roots).unwrap_or_else(|e| panic!("{e}"));
    let schemas = crate::common::schemas(&meta, &names);
    let host = "microsoft.graph.hostSecurityProfile";
    let ip = "microsoft.graph.ipSecurityProfile";
    let usp = "microsoft.graph.userSecurityProfile";
    let account = "microsoft.graph.userAccount";
    let logon = "microsoft.graph.logonUser";
    let refdata = "microsoft.graph.ipReferenceData";
    check(
        &schemas,
        &[
            (
                host,
                json!({
                    "@odata.type": "#microsoft.graph.hostSecurityProfile",
                    "id": "a1", "azureTenantId": "t1", "fqdn": "h.contoso.com",
                    "isAzureAdJoined": true, "firstSeenDateTime": "2021-07-13T10:11:12.1234567Z",
                    "lastSeenDateTime": "2021-07-13T10:11:12+05:30",
                    "logonUsers": [{"accountName": "a", "accountType": "administrator",
                                    "logonTypes": ["interactive", "network"]}],
                    "networkInterfaces": [{"ipV4Address": "10.0.0.1"}],
                    "tags": ["x", null], "vendorInformation": null,
                    "logonUsers@odata.nextLink": "https://graph.microsoft.com/beta/next"
                }),
                true,
            ),
            (host, json!({"isAzureAdJoined": "yes"}), false),
            (host, json!({"tags": null}), false),
            (host, json!({"tags": "x"}), false),
            (
                host,
                json!({"logonUsers": [{"accountType": "String"}]}),
                false,
            ),
            (
                host,
                json!({"logonUsers": [{"logonTypes": ["String"]}]}),
                false,
            ),
            (host, json!({"vendorInformation": {"vendor": 5}}), false),
            (host, json!({"id": null}), false),
            (host, json!({"azureTenantId": null}), false),
            (host, json!({"fqdn": null, "os": null}), true),
            (host, json!([]), false),
            (ip, json!({"countHits": 12, "countHosts": null}), true),
            (ip, json!({"countHits": "12"}), false),
            (ip, json!({"countHits": 1.5}), false),
            (ip, json!({"countHits": 2147483648i64}), false),
            (
                ip,
                json!({"ipReferenceData": [{"asn": 64512}, {"asn": "64512"}]}),
                true,
            ),
            (ip, json!({"ipReferenceData": [{"asn": "AS64512"}]}), false),
            (ip, json!({"ipReferenceData": [{"asn": 1.5}]}), false),
            (
                ip,
                json!({"ipReferenceData": [{"asn": 9223372036854775808u64}]}),
                false,
            ),
            (
                ip,
                json!({"ipCategories": [{"name": "x", "unknown": 1}]}),
                false,
            ),
            (usp, json!({"createdDateTime": "datetime-value"}), false),
            (
                usp,
                json!({"lastModifiedDateTime": "2021-02-30T00:00:00Z"}),
                false,
            ),
            (
                usp,
                json!({"createdDateTime": "2021-07-13T10:11:12Z"}),
                true,
            ),
            // Open type: undeclared properties such as seed 000's accountName pass.
            (
                usp,
                json!({"accountName": "x", "domainName": {"any": 1}}),
                true,
            ),
            (usp, json!({"accounts": [{"status": "String"}]}), false),
            (usp, json!({"accounts": [{"status": "active"}]}), true),
            (account, json!({"status": "String"}), false),
            (account, json!({"status": "Active"}), false),
            (account, json!({"status": null, "displayName": "d"}), true),
            // Closed complex type: undeclared properties fail, annotations pass.
            (account, json!({"domainName": "contoso"}), false),
            (
                account,
                json!({"@odata.type": "#microsoft.graph.userAccount"}),
                true,
            ),
            (
                account,
                json!({"status@odata.type": "#microsoft.graph.accountStatus"}),
                true,
            ),
            (logon, json!({"accountType": "String"}), false),
            (logon, json!({"logonTypes": ["batch", null]}), true),
            (refdata, json!({"asn": -5, "vendor": null}), true),
        ],
    );
}

/// One property per EDM primitive, so every mapping is exercised without the corpus.
const EDM_CSDL: &str = r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="t" Alias="tt" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="perm" IsFlags="true"><Member Name="read" Value="1"/><Member Name="write" Value="2"/></EnumType>
      <ComplexType Name="p">
        <Property Name="byte" Type="Edm.Byte" Nullable="false"/>
        <Property Name="sbyte" Type="Edm.SByte" Nullable="false"/>
        <Property Name="i16" Type="Edm.Int16" Nullable="false"/>
        <Property Name="dbl" Type="Edm.Double" Nullable="false"/>
        <Property Name="dec" Type="Edm.Decimal" Nullable="false"/>
        <Property Name="guid" Type="Edm.Guid" Nullable="false"/>
        <Property Name="bin" Type="Edm.Binary" Nullable="false"/>
        <Property Name="date" Type="Edm.Date" Nullable="false"/>
        <Property Name="tod" Type="Edm.TimeOfDay" Nullable="false"/>
        <Property Name="dur" Type="Edm.Duration" Nullable="false"/>
        <Property Name="geo" Type="Edm.GeographyPoint" Nullable="false"/>
        <Property Name="any" Type="Edm.Untyped"/>
        <Property Name="perms" Type="tt.perm" Nullable="false"/>
        <Property Name="nums" Type="Collection(Edm.Int32)" Nullable="false"/>
        <Property Name="maybe" Type="Collection(Edm.Int32)"/>
      </ComplexType>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

#[test]
fn edm_primitives() {
    let meta = Metadata::parse(EDM_CSDL).unwrap_or_else(|e| panic!("{e}"));
    let schemas = crate::common::schemas(&meta, &meta.type_names());
    let cases: Vec<(&str, Value, bool)> = [
        (json!({"byte": 255}), true),
        (json!({"byte": 256}), false),
        (json!({"byte": -1}), false),
        (json!({"sbyte": -128}), true),
        (json!({"sbyte": 128}), false),
        (json!({"i16": 32767}), true),
        (json!({"i16": -32769}), false),
        (json!({"dbl": 1.5}), true),
        (json!({"dbl": "NaN"}), true),
        (json!({"dbl": "-INF"}), true),
        (json!({"dbl": "1.5"}), false),
        (json!({"dbl": null}), false),
        (json!({"dec": 12.5}), true),
        (json!({"dec": "12.50"}), true),
        (json!({"dec": "12,5"}), false),
        (
            json!({"guid": "6f1c9d0e-3a5b-4c7d-8e9f-0a1b2c3d4e5f"}),
            true,
        ),
        (json!({"guid": "6f1c9d0e3a5b4c7d8e9f0a1b2c3d4e5f"}), false),
        (json!({"bin": "SGVsbG8_LQ"}), true),
        (json!({"bin": "SGVsbG8_LQ=="}), true),
        (json!({"bin": "SGVs+G8/"}), false),
        (json!({"bin": "SGVsb"}), false),
        (json!({"date": "2021-07-13"}), true),
        (json!({"date": "2021-13-01"}), false),
        (json!({"tod": "23:59"}), true),
        (json!({"tod": "23:59:59.1234567"}), true),
        (json!({"tod": "2359"}), false),
        (json!({"dur": "P1D"}), true),
        (json!({"dur": "PT0.015S"}), true),
        (json!({"dur": "-PT1H30S"}), true),
        (json!({"dur": "P1DT2H"}), true),
        (json!({"dur": "P"}), false),
        (json!({"dur": "PT"}), false),
        (json!({"dur": "P1DT"}), false),
        (json!({"dur": "1 day"}), false),
        (
            json!({"geo": {"type": "Point", "coordinates": [1, 2]}}),
            true,
        ),
        (json!({"geo": "POINT(1 2)"}), false),
        (json!({"any": {"x": [1, "y", null]}}), true),
        (json!({"perms": "read"}), true),
        (json!({"perms": "read,write"}), true),
        (json!({"perms": "read, write"}), true),
        (json!({"perms": "read,execute"}), false),
        (json!({"perms": ""}), false),
        (json!({"nums": [1, null]}), false),
        (json!({"maybe": [1, null]}), true),
        (json!({"maybe": null}), false),
        (json!({"nums": [1, "2"]}), false),
        (json!({"nums": null}), false),
    ]
    .into_iter()
    .map(|(instance, valid)| ("t.p", instance, valid))
    .collect();
    check(&schemas, &cases);
}
