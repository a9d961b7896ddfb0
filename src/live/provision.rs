//! Provisioning: the scenario's synthetic members as SCIM users and its
//! departments as groups, created at a bounded rate. Users and groups that
//! already exist are kept (before a soft-unbind replay an inactive user is
//! made active again, so the replay has something to unbind); re-running
//! is idempotent.

use super::replay::{PlannedRequest, attempts, bounded_secs};
use super::schedule::{group_name, user_name, user_prefix};
use super::scim::{Outcome, ScimClient, ServiceConfig, group_body, page_size, set_active_body, user_body};
use hyper::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// What provisioning did, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProvisionReport {
    pub users_existing: u64,
    pub users_created: u64,
    pub users_reactivated: u64,
    pub groups_existing: u64,
    pub groups_created: u64,
    pub errors: u64,
    pub wall_ms: u64,
}

/// The SCIM id of every member (indexed by member), and the report.
pub struct Provisioned {
    pub ids: Vec<String>,
    pub report: ProvisionReport,
}

/// Rate and concurrency of provisioning requests.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub rate_per_sec: f64,
    pub concurrency: usize,
    pub retries: u32,
    /// Make inactive users active again (before a soft-unbind replay).
    pub reactivate: bool,
}

/// Why provisioning could not finish, with what it had done until then.
pub struct ProvisionFailure {
    pub reason: String,
    pub report: ProvisionReport,
}

/// Creates what is missing and returns every member's id; on failure, why
/// and what was done.
pub async fn provision(
    client: &ScimClient,
    config: &ServiceConfig,
    scenario: &str,
    org: &crate::model::Org,
    limits: Limits,
) -> Result<Provisioned, ProvisionFailure> {
    let started = Instant::now();
    let mut report = ProvisionReport::default();
    let ids = provision_all(client, config, scenario, org, limits, &mut report).await;
    report.wall_ms = started.elapsed().as_millis() as u64;
    match ids {
        Ok(ids) => Ok(Provisioned { ids, report }),
        Err(reason) => Err(ProvisionFailure { reason, report }),
    }
}

async fn provision_all(
    client: &ScimClient,
    config: &ServiceConfig,
    scenario: &str,
    org: &crate::model::Org,
    limits: Limits,
    report: &mut ProvisionReport,
) -> Result<Vec<String>, String> {
    let members = org.members.len() as u32;
    let existing = list_users(client, config, scenario).await?;
    let mut create = Vec::new();
    let mut reactivate = Vec::new();
    for member in 0..members {
        match existing.get(&user_name(scenario, member)) {
            None => create.push(member),
            Some((id, false)) => reactivate.push(id.clone()),
            Some(_) => {}
        }
    }
    report.users_existing = u64::from(members) - create.len() as u64;
    let requests =
        create.iter().map(|&m| post("Users", user_body(&user_name(scenario, m), &format!("m{m}")))).collect();
    let (created, failed) = run_paced(client, requests, limits).await;
    report.users_created = created;
    report.errors += failed;
    if config.patch && limits.reactivate {
        let requests = reactivate.iter().map(|id| patch_active(id)).collect();
        let (done, failed) = run_paced(client, requests, limits).await;
        report.users_reactivated = done;
        report.errors += failed;
    }
    let listed = list_users(client, config, scenario).await?;
    let ids = member_ids(&listed, scenario, members)?;
    provision_groups(client, config, scenario, org, &ids, limits, report).await?;
    Ok(ids)
}

async fn provision_groups(
    client: &ScimClient,
    config: &ServiceConfig,
    scenario: &str,
    org: &crate::model::Org,
    ids: &[String],
    limits: Limits,
    report: &mut ProvisionReport,
) -> Result<(), String> {
    let filter = format!("displayName sw \"unbindsim-{scenario}-d\"");
    let groups = client.list("Groups", &filter, "displayName", page_size(config)).await?;
    let existing: std::collections::BTreeSet<&str> = groups.iter().filter_map(|g| g["displayName"].as_str()).collect();
    let mut members_of: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for (index, member) in org.members.iter().enumerate() {
        members_of.entry(member.department.0).or_default().push(&ids[index]);
    }
    let missing: Vec<PlannedRequest> = members_of
        .iter()
        .filter(|(department, _)| !existing.contains(group_name(scenario, **department).as_str()))
        .map(|(department, member_ids)| post("Groups", group_body(&group_name(scenario, *department), member_ids)))
        .collect();
    report.groups_existing = (members_of.len() - missing.len()) as u64;
    let (created, failed) = run_paced(client, missing, limits).await;
    report.groups_created = created;
    report.errors += failed;
    Ok(())
}

/// Users whose name has the scenario's prefix: name → (id, active).
async fn list_users(
    client: &ScimClient,
    config: &ServiceConfig,
    scenario: &str,
) -> Result<BTreeMap<String, (String, bool)>, String> {
    let filter = format!("userName sw \"{}\"", user_prefix(scenario));
    let users = client.list("Users", &filter, "userName,active", page_size(config)).await?;
    Ok(users.iter().filter_map(user_entry).collect())
}

fn user_entry(user: &Value) -> Option<(String, (String, bool))> {
    let name = user["userName"].as_str()?.to_owned();
    let id = user["id"].as_str()?.to_owned();
    Some((name, (id, user["active"].as_bool().unwrap_or(true))))
}

fn member_ids(listed: &BTreeMap<String, (String, bool)>, scenario: &str, members: u32) -> Result<Vec<String>, String> {
    let ids: Vec<Option<String>> =
        (0..members).map(|m| listed.get(&user_name(scenario, m)).map(|(id, _)| id.clone())).collect();
    let missing = ids.iter().filter(|id| id.is_none()).count();
    if missing > 0 {
        return Err(format!(
            "provisioning: {missing} of {members} users are missing on the service after creation (see the errors above)"
        ));
    }
    Ok(ids.into_iter().flatten().collect())
}

fn post(endpoint: &str, body: Vec<u8>) -> PlannedRequest {
    plain(Method::POST, endpoint.to_owned(), Some(body))
}

fn patch_active(id: &str) -> PlannedRequest {
    plain(Method::PATCH, format!("Users/{id}"), Some(set_active_body(true)))
}

fn plain(method: Method, path: String, body: Option<Vec<u8>>) -> PlannedRequest {
    let body = body.map(bytes::Bytes::from);
    PlannedRequest { method, path, body, operations: 0..0, offset: Duration::ZERO, anchor: Duration::ZERO }
}

/// Provisioning is idempotent (a user created twice is a 409), so a
/// timeout, a failed connection or a server error (5xx) is retried too,
/// after the same backoff, within the same budget.
async fn attempts_until_answered(client: &ScimClient, request: &PlannedRequest, budget: u32) -> Outcome {
    let mut outcome = Outcome::Timeout;
    let target = client.target(&request.path);
    for round in 0..=budget {
        outcome = attempts(client, request, &target, budget).await.0;
        if matches!(outcome, Outcome::Status(status) if status < 500) || round == budget {
            break;
        }
        tokio::time::sleep(super::scim::backoff(None, round)).await;
    }
    outcome
}

/// Sends `requests` at most `rate` per second and `concurrency` at a time;
/// returns (succeeded, failed). A 409 (already exists) is neither.
async fn run_paced(client: &ScimClient, requests: Vec<PlannedRequest>, limits: Limits) -> (u64, u64) {
    let gap = bounded_secs(1.0 / limits.rate_per_sec);
    let semaphore = Arc::new(Semaphore::new(limits.concurrency));
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, request) in requests.into_iter().enumerate() {
        tokio::time::sleep_until(start + gap.saturating_mul(index as u32)).await;
        let permit = semaphore.clone().acquire_owned().await.expect("the semaphore is never closed");
        let client = client.clone();
        tasks.spawn(async move {
            let outcome = attempts_until_answered(&client, &request, limits.retries).await;
            drop(permit);
            outcome
        });
    }
    let (mut succeeded, mut failed) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Outcome::Status(status)) if (200..300).contains(&status) => succeeded += 1,
            Ok(Outcome::Status(409)) => {}
            Ok(outcome) => {
                failed += 1;
                if failed <= 5 {
                    eprintln!("  provisioning request failed: {}", super::scim::describe(&outcome));
                }
            }
            Err(_) => failed += 1,
        }
    }
    (succeeded, failed)
}
