//! Unit tests: parsing refusals, conditions, evaluation, the IAM file, and
//! the AWS guide's four policies (verbatim, ids substituted) as fixtures.

use crate::*;

const DAVE: Caller<'static> = Caller {
    account: "111122223333",
    arn: "arn:aws:iam::111122223333:user/Dave",
};
const OTHER_ACCOUNT: &str = "444455556666";

fn identity(text: &str) -> Policy {
    Policy::parse(text, PolicyKind::Identity).unwrap()
}

fn resource_policy(text: &str) -> Policy {
    Policy::parse(text, PolicyKind::Resource).unwrap()
}

fn decide(
    policies: &[Policy],
    owner: &str,
    bucket_policy: Option<&Policy>,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Decision {
    let req = Request {
        caller: DAVE,
        action,
        resource,
        context: ctx,
    };
    evaluate(
        policies,
        ResourceSide {
            owner,
            policy: bucket_policy,
        },
        &req,
    )
}

fn allowed(policies: &[Policy], action: &str, resource: &str) -> bool {
    decide(
        policies,
        DAVE.account,
        None,
        action,
        resource,
        &Context::new(),
    )
    .is_allow()
}

#[test]
fn statement_as_object_or_array_and_strings_or_arrays() {
    let one = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}}"#,
    );
    let many = identity(
        r#"{"Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":["*"]}]}"#,
    );
    assert_eq!(one, many);
}

#[test]
fn malformed_policies_are_refused_with_the_reason() {
    let cases = [
        ("[]", "a policy must be a JSON object"),
        (
            r#"{"Version":"2020-01-01","Statement":[]}"#,
            "Version must be",
        ),
        (r#"{"Statement":[]}"#, "Statement must be"),
        (r#"{"Version":"2012-10-17"}"#, "the policy has no Statement"),
        (
            r#"{"Statement":{"Action":"s3:*","Resource":"*"}}"#,
            "statement 0: Effect is missing",
        ),
        (
            r#"{"Statement":{"Effect":"Permit","Action":"s3:*","Resource":"*"}}"#,
            "Effect must be",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
            "Action (or NotAction) is missing",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x","Resource":"*"}}"#,
            "not both",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"getitem","Resource":"*"}}"#,
            "service:action",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
            "Resource (or NotResource) is missing",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}"#,
            "an ARN",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
            "non-empty array",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}}"#,
            "may not have a Principal",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"x"}}}}"#,
            "unsupported condition operator DateEquals",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}"#,
            "ten is not a number",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}}"#,
            "not an IP address",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Bogus":1}}"#,
            "unknown statement element Bogus",
        ),
        ("{", "not valid JSON"),
    ];
    for (text, want) in cases {
        let err = Policy::parse(text, PolicyKind::Identity)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
    let err = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        PolicyKind::Resource,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("needs a Principal"), "{err}");
    let err = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"Dave"},"Action":"s3:*","Resource":"*"}}"#,
        PolicyKind::Resource,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("invalid principal Dave"), "{err}");
}

#[test]
fn actions_are_case_insensitive_resources_are_not() {
    let p = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"DynamoDB:get*","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Books"}}"#,
    )];
    assert!(allowed(
        &p,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Books"
    ));
    assert!(!allowed(
        &p,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Books"
    ));
    assert!(!allowed(
        &p,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/books"
    ));
}

#[test]
fn not_action_and_not_resource() {
    let p = [identity(
        r#"{"Statement":{"Effect":"Allow","NotAction":"dynamodb:Delete*","NotResource":"arn:aws:dynamodb:*:*:table/secret"}}"#,
    )];
    let t = "arn:aws:dynamodb:us-east-1:111122223333:table/t";
    assert!(allowed(&p, "dynamodb:PutItem", t));
    assert!(!allowed(&p, "dynamodb:DeleteItem", t));
    assert!(!allowed(
        &p,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/secret"
    ));
}

#[test]
fn explicit_deny_wins_and_is_reported() {
    let p = [
        identity(r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#),
        identity(
            r#"{"Statement":{"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}}"#,
        ),
    ];
    let t = "arn:aws:dynamodb:us-east-1:111122223333:table/t";
    let ctx = Context::new();
    let d = decide(&p, DAVE.account, None, "dynamodb:DeleteTable", t, &ctx);
    assert_eq!(d, Decision::Deny(DenyReason::ExplicitDenyIdentity));
    let req = Request {
        caller: DAVE,
        action: "dynamodb:DeleteTable",
        resource: t,
        context: &ctx,
    };
    assert_eq!(
        denial_message(&req, DenyReason::ExplicitDenyIdentity),
        "User: arn:aws:iam::111122223333:user/Dave is not authorized to perform: dynamodb:DeleteTable on resource: arn:aws:dynamodb:us-east-1:111122223333:table/t with an explicit deny in an identity-based policy"
    );
    assert_eq!(
        denial_message(&req, DenyReason::NoIdentityAllow),
        "User: arn:aws:iam::111122223333:user/Dave is not authorized to perform: dynamodb:DeleteTable on resource: arn:aws:dynamodb:us-east-1:111122223333:table/t because no identity-based policy allows the dynamodb:DeleteTable action"
    );
    assert!(decide(&p, DAVE.account, None, "dynamodb:GetItem", t, &ctx).is_allow());
    assert_eq!(
        decide(&[], DAVE.account, None, "dynamodb:GetItem", t, &ctx),
        Decision::Deny(DenyReason::NoIdentityAllow)
    );
}

fn ctx_with(pairs: &[(&str, &[&str])]) -> Context {
    let mut ctx = Context::new();
    for (k, vs) in pairs {
        ctx.set_many(k, vs.iter().map(|s| s.to_string()));
    }
    ctx
}

fn holds(condition: &str, ctx: &Context) -> bool {
    let p = identity(&format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}}}"#
    ));
    p.statements[0].conditions.iter().all(|c| c.holds(ctx))
}

#[test]
fn string_and_missing_key_rules() {
    let dave = ctx_with(&[("aws:username", &["Dave"])]);
    let none = Context::new();
    assert!(holds(r#"{"StringEquals":{"aws:username":"Dave"}}"#, &dave));
    assert!(holds(
        r#"{"StringEquals":{"AWS:UserName":["Ann","Dave"]}}"#,
        &dave
    ));
    assert!(!holds(r#"{"StringEquals":{"aws:username":"dave"}}"#, &dave));
    assert!(holds(
        r#"{"StringEqualsIgnoreCase":{"aws:username":"dave"}}"#,
        &dave
    ));
    assert!(holds(r#"{"StringLike":{"aws:username":"D?v*"}}"#, &dave));
    assert!(!holds(r#"{"StringNotLike":{"aws:username":"D*"}}"#, &dave));
    // Absent key: positive false, negated true, IfExists true.
    assert!(!holds(r#"{"StringEquals":{"aws:username":"Dave"}}"#, &none));
    assert!(holds(
        r#"{"StringNotEquals":{"aws:username":"Dave"}}"#,
        &none
    ));
    assert!(holds(
        r#"{"StringEqualsIfExists":{"aws:username":"Ann"}}"#,
        &none
    ));
    assert!(!holds(
        r#"{"StringEqualsIfExists":{"aws:username":"Ann"}}"#,
        &dave
    ));
    // Keys within an operator are ANDed, operators too.
    let two = ctx_with(&[
        ("aws:username", &["Dave"]),
        ("aws:PrincipalAccount", &["111122223333"]),
    ]);
    assert!(!holds(
        r#"{"StringEquals":{"aws:username":"Dave","aws:PrincipalAccount":"111122223333"},"Bool":{"aws:username":"false"}}"#,
        &two
    ));
    assert!(holds(
        r#"{"StringEquals":{"aws:username":"Dave","aws:PrincipalAccount":"111122223333"}}"#,
        &two
    ));
}

#[test]
fn numeric_bool_ip_arn_null() {
    let ctx = ctx_with(&[
        ("s3:max-keys", &["10"]),
        ("aws:SecureTransport", &["true"]),
        ("aws:SourceIp", &["203.0.113.7"]),
        (
            "aws:SourceArn",
            &["arn:aws:dynamodb:us-east-1:111122223333:table/t"],
        ),
    ]);
    assert!(holds(
        r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
        &ctx
    ));
    assert!(!holds(r#"{"NumericLessThan":{"s3:max-keys":10}}"#, &ctx));
    assert!(holds(r#"{"NumericNotEquals":{"s3:max-keys":"11"}}"#, &ctx));
    assert!(holds(
        r#"{"NumericGreaterThan":{"s3:max-keys":"9.5"}}"#,
        &ctx
    ));
    assert!(holds(r#"{"Bool":{"aws:SecureTransport":true}}"#, &ctx));
    assert!(holds(
        r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
        &ctx
    ));
    assert!(!holds(
        r#"{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","10.0.0.1"]}}"#,
        &ctx
    ));
    assert!(holds(
        r#"{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}"#,
        &ctx
    ));
    assert!(holds(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, &ctx));
    assert!(holds(
        r#"{"ArnLike":{"aws:SourceArn":"arn:aws:dynamodb:*:111122223333:table/*"}}"#,
        &ctx
    ));
    assert!(holds(
        r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:dynamodb:us-east-1:111122223333:table/u"}}"#,
        &ctx
    ));
    assert!(holds(
        r#"{"Null":{"aws:username":"true","aws:SourceIp":"false"}}"#,
        &ctx
    ));
    assert!(!holds(r#"{"Null":{"aws:SourceIp":"true"}}"#, &ctx));
}

#[test]
fn set_qualifiers_on_leading_keys_and_policy_variables() {
    let own = ctx_with(&[
        ("aws:username", &["Dave"]),
        ("dynamodb:LeadingKeys", &["Dave"]),
    ]);
    let mixed = ctx_with(&[
        ("aws:username", &["Dave"]),
        ("dynamodb:LeadingKeys", &["Dave", "Ann"]),
    ]);
    let no_keys = ctx_with(&[("aws:username", &["Dave"])]);
    let all = r#"{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}"#;
    assert!(holds(all, &own));
    assert!(!holds(all, &mixed));
    assert!(holds(all, &no_keys), "ForAllValues holds for an absent key");
    let any = r#"{"ForAnyValue:StringEquals":{"dynamodb:LeadingKeys":"${aws:username}"}}"#;
    assert!(holds(any, &mixed));
    assert!(!holds(any, &no_keys));
    let attrs = ctx_with(&[("dynamodb:Attributes", &["id", "name"])]);
    assert!(holds(
        r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["id","name","email"]}}"#,
        &attrs
    ));
    assert!(!holds(
        r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["id"]}}"#,
        &attrs
    ));
    assert!(holds(
        r#"{"ForAllValues:StringNotEquals":{"dynamodb:Attributes":["secret"]}}"#,
        &attrs
    ));
    // A variable naming an absent key matches nothing.
    let anon = ctx_with(&[("dynamodb:LeadingKeys", &["x"])]);
    assert!(!holds(any, &anon));
}

#[test]
fn resource_variables() {
    let p = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
    )];
    let ctx = ctx_with(&[("aws:username", &["Dave"])]);
    let d = |r: &str| decide(&p, DAVE.account, None, "s3:GetObject", r, &ctx).is_allow();
    assert!(d("arn:aws:s3:::home/Dave/notes.txt"));
    assert!(!d("arn:aws:s3:::home/Ann/notes.txt"));
}

#[test]
fn cross_account_needs_both_sides() {
    let own = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    )];
    let grant = resource_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    );
    let to_anyone = resource_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    );
    let deny = resource_policy(
        r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/Dave"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}"#,
    );
    let ctx = Context::new();
    let obj = "arn:aws:s3:::b/k";
    let d = |ids: &[Policy], policy: Option<&Policy>, owner: &str| {
        decide(ids, owner, policy, "s3:GetObject", obj, &ctx)
    };
    assert_eq!(
        d(&own, None, OTHER_ACCOUNT),
        Decision::Deny(DenyReason::NoResourceAllow)
    );
    assert_eq!(d(&own, Some(&grant), OTHER_ACCOUNT), Decision::Allow);
    assert_eq!(
        d(&[], Some(&grant), OTHER_ACCOUNT),
        Decision::Deny(DenyReason::NoIdentityAllow)
    );
    assert_eq!(
        d(&own, Some(&deny), OTHER_ACCOUNT),
        Decision::Deny(DenyReason::ExplicitDenyResource)
    );
    // Same account: either side allows, but naming only the account
    // delegates to the identity policies.
    assert_eq!(d(&own, None, DAVE.account), Decision::Allow);
    assert_eq!(d(&[], Some(&to_anyone), DAVE.account), Decision::Allow);
    assert_eq!(
        d(&[], Some(&grant), DAVE.account),
        Decision::Deny(DenyReason::NoIdentityAllow)
    );
    assert_eq!(
        d(&own, Some(&deny), DAVE.account),
        Decision::Deny(DenyReason::ExplicitDenyResource)
    );
}

fn fixture(text: &str) -> String {
    // Ids substituted: Dave lives in 111122223333 and every guide bucket is
    // amzn-s3-demo-bucket.
    text.replace("123456789012", "111122223333")
        .replace("your-bucket", "amzn-s3-demo-bucket")
}

const TABLE: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/my-table";
const BUCKET: &str = "arn:aws:s3:::amzn-s3-demo-bucket";
const OBJECT: &str = "arn:aws:s3:::amzn-s3-demo-bucket/data/part-0.json.gz";
const LOGS: &str = "arn:aws:logs:us-east-1:111122223333:log-group:/aws-dynamodb/imports:*";

#[test]
fn guide_import_policy_allows_exactly_the_import() {
    let p = [identity(&fixture(include_str!(
        "../fixtures/guide-import-policy.json"
    )))];
    assert!(allowed(&p, "dynamodb:ImportTable", TABLE));
    assert!(allowed(
        &p,
        "dynamodb:DescribeImport",
        &format!("{TABLE}-2/import/01234567890123-abcdef12")
    ));
    assert!(allowed(&p, "dynamodb:ListImports", "*"));
    assert!(allowed(&p, "s3:GetObject", OBJECT));
    assert!(allowed(&p, "s3:ListBucket", BUCKET));
    assert!(allowed(
        &p,
        "logs:CreateLogGroup",
        "arn:aws:logs:us-east-1:111122223333:log-group/aws-dynamodb/imports"
    ));
    assert!(allowed(
        &p,
        "logs:PutLogEvents",
        "arn:aws:logs:us-east-1:111122223333:log-group/aws-dynamodb/imports:log-stream:x"
    ));
    assert!(
        !allowed(&p, "logs:PutLogEvents", LOGS),
        "the guide writes log-group/, not log-group:"
    );
    assert!(!allowed(
        &p,
        "dynamodb:ImportTable",
        "arn:aws:dynamodb:us-east-1:111122223333:table/other"
    ));
    assert!(!allowed(
        &p,
        "dynamodb:ImportTable",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/my-table"
    ));
    assert!(!allowed(&p, "dynamodb:PutItem", TABLE));
    assert!(!allowed(&p, "dynamodb:ExportTableToPointInTime", TABLE));
    assert!(!allowed(&p, "s3:PutObject", OBJECT));
    assert!(!allowed(&p, "s3:GetObject", "arn:aws:s3:::other-bucket/k"));
    assert!(!allowed(
        &p,
        "logs:DeleteLogGroup",
        "arn:aws:logs:us-east-1:111122223333:log-group/aws-dynamodb/imports"
    ));
}

#[test]
fn guide_export_policy_allows_exactly_the_export() {
    let p = [identity(&fixture(include_str!(
        "../fixtures/guide-export-policy.json"
    )))];
    assert!(allowed(&p, "dynamodb:ExportTableToPointInTime", TABLE));
    for a in ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"] {
        assert!(allowed(&p, a, OBJECT), "{a}");
    }
    assert!(!allowed(
        &p,
        "dynamodb:ExportTableToPointInTime",
        &format!("{TABLE}-2")
    ));
    assert!(!allowed(
        &p,
        "dynamodb:DescribeExport",
        &format!("{TABLE}/export/01234567890123-abcdef12")
    ));
    assert!(!allowed(&p, "s3:GetObject", OBJECT));
    assert!(!allowed(&p, "s3:PutObject", BUCKET), "objects only");
}

#[test]
fn guide_bucket_policies_grant_the_other_account_exactly_their_actions() {
    let import = resource_policy(&fixture(include_str!(
        "../fixtures/guide-import-bucket-policy.json"
    )));
    let export = resource_policy(&fixture(include_str!(
        "../fixtures/guide-export-bucket-policy.json"
    )));
    // Dave's own policy allows all of S3; the bucket is another account's.
    let dave = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    )];
    let ctx = Context::new();
    let d = |policy: &Policy, action: &str, resource: &str| {
        decide(&dave, OTHER_ACCOUNT, Some(policy), action, resource, &ctx)
    };
    assert!(d(&import, "s3:GetObject", OBJECT).is_allow());
    // The guide's import bucket policy names only `bucket/*`, so
    // ListBucket (on the bucket ARN) is not granted by it, as in AWS.
    assert_eq!(
        d(&import, "s3:ListBucket", BUCKET),
        Decision::Deny(DenyReason::NoResourceAllow)
    );
    assert_eq!(
        d(&import, "s3:PutObject", OBJECT),
        Decision::Deny(DenyReason::NoResourceAllow)
    );
    for a in ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"] {
        assert!(d(&export, a, OBJECT).is_allow(), "{a}");
    }
    assert_eq!(
        d(&export, "s3:GetObject", OBJECT),
        Decision::Deny(DenyReason::NoResourceAllow)
    );
    assert_eq!(
        d(&export, "s3:DeleteObject", OBJECT),
        Decision::Deny(DenyReason::NoResourceAllow)
    );
    // Another user of Dave's account is not named.
    let ann = Request {
        caller: Caller {
            account: DAVE.account,
            arn: "arn:aws:iam::111122223333:user/Ann",
        },
        action: "s3:PutObject",
        resource: OBJECT,
        context: &ctx,
    };
    let side = ResourceSide {
        owner: OTHER_ACCOUNT,
        policy: Some(&export),
    };
    assert_eq!(
        evaluate(&dave, side, &ann),
        Decision::Deny(DenyReason::NoResourceAllow)
    );
}

#[test]
fn iam_file_loads_and_checks() {
    let text = r#"{"accounts":[
        {"id":"111122223333",
         "users":[{"name":"Dave","access_keys":[{"id":"AKIADAVE","secret":"s1"}],
                   "policies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}]}]},
        {"id":"444455556666","users":[{"name":"Ann","access_keys":[{"id":"AKIAANN","secret":"s2"}]}]}]}"#;
    let iam = Iam::parse(text).unwrap();
    let dave = iam.user_for_key("AKIADAVE").unwrap();
    assert_eq!(dave.arn, "arn:aws:iam::111122223333:user/Dave");
    assert_eq!(dave.policies.len(), 1);
    assert_eq!(iam.user_for_key("AKIAANN").unwrap().account, "444455556666");
    assert!(iam.user_for_key("nope").is_none());
    let mut pairs: Vec<_> = iam.key_pairs().collect();
    pairs.sort();
    assert_eq!(pairs, [("AKIAANN", "s2"), ("AKIADAVE", "s1")]);
    assert_eq!(iam.accounts(), ["111122223333", "444455556666"]);
}

#[test]
fn iam_file_errors_name_the_fault() {
    let user = |name: &str, key: &str| {
        format!(r#"{{"name":"{name}","access_keys":[{{"id":"{key}","secret":"s"}}]}}"#)
    };
    let cases = [
        (r#"{"accounts":[{"id":"1234"}]}"#.to_string(), "account id \"1234\" is not 12 digits"),
        (r#"{"accounts":[{"id":"111122223333"},{"id":"111122223333"}]}"#.to_string(), "declared twice"),
        (format!(r#"{{"accounts":[{{"id":"111122223333","users":[{},{}]}}]}}"#, user("a", "K1"), user("b", "K1")), "access key id K1 is declared twice"),
        (format!(r#"{{"accounts":[{{"id":"111122223333","users":[{},{}]}}]}}"#, user("a", "K1"), user("A", "K2")), "user A is declared twice"),
        (format!(r#"{{"accounts":[{{"id":"111122223333","users":[{}]}}]}}"#, user("bad name", "K1")), "user name \"bad name\" is not valid"),
        (r#"{"accounts":[{"id":"111122223333","users":[{"name":"a","policies":[{"Statement":{"Effect":"Allow","Action":"s3:*"}}]}]}]}"#.to_string(), "account 111122223333, user a, policy 0: statement 0: Resource (or NotResource) is missing"),
        (r#"{"accounts":[{"id":"111122223333","colour":"red"}]}"#.to_string(), "unknown field `colour`"),
        (r#"{"accounts":[{"id":"111122223333","users":[{"name":"a","access_keys":[{"id":"K","secret":""}]}]}]}"#.to_string(), "id and secret must not be empty"),
    ];
    for (text, want) in cases {
        let err = Iam::parse(&text).unwrap_err().to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}
