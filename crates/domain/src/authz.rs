//! 权限: who may do what, where. The one place that decides.
//!
//! A permission is role × action × resource kind; a grant gives a user a role over a
//! jurisdiction subtree (and optionally one organisation). Every route, page, API call
//! and command asks [`decide`]; nothing else answers "may this user do this?".
//!
//! 三员分立: the system administrator manages accounts but cannot read the audit log, and
//! the auditor reads the audit log but can change nothing.

use crate::region::RegionCode;
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s,)* } }
            pub fn parse(s: &str) -> Option<$name> { match s { $($s => Some($name::$v),)* _ => None } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

string_enum! {
    /// 角色
    pub enum Role {
        /// 系统管理员: accounts, organisations, regions.
        SystemAdmin = "system_admin",
        /// 局领导: reads everything in the jurisdiction.
        BureauLeader = "bureau_leader",
        /// 救助站工作人员
        StationStaff = "station_staff",
        /// 街面巡查人员
        PatrolStaff = "patrol_staff",
        /// 热线/视频巡查员
        HotlineOperator = "hotline_operator",
        /// 社会工作者
        SocialWorker = "social_worker",
        /// 乡镇（街道）经办人
        TownshipClerk = "township_clerk",
        /// 县级审核确认人
        CountyApprover = "county_approver",
        /// 部门联络员 (data feeds from police, health, HR…)
        PartnerLiaison = "partner_liaison",
        /// 安全审计员: the audit and access logs only.
        Auditor = "auditor",
        /// 公众: anyone without an account.
        Public = "public",
    }
}

string_enum! {
    pub enum Action {
        View = "view",
        Create = "create",
        Update = "update",
        /// Disable, re-enable, reset a password, grant a role.
        Manage = "manage",
        /// Show a sensitive field unmasked; every reveal is logged.
        Reveal = "reveal",
        Export = "export",
        /// Check the audit hash chain.
        Verify = "verify",
        /// 审核确认: decide a social-assistance item (the county, or a township where
        /// delegated).
        Approve = "approve",
    }
}

string_enum! {
    /// Kinds of thing a permission is about. Later modules add their own kinds here so
    /// the matrix stays in one table.
    pub enum Resource {
        /// 首页 counts and charts.
        Dashboard = "dashboard",
        /// 行政区划
        Region = "region",
        /// 机构
        Organisation = "organisation",
        /// 用户与角色
        User = "user",
        /// 审计日志
        AuditLog = "audit_log",
        /// 敏感信息查看日志
        AccessLog = "access_log",
        /// One's own profile, password and API tokens.
        Profile = "profile",
        /// Pages anyone may see: login, public notices, health checks.
        PublicPage = "public_page",
        /// 救助个案: a person's stay at a rescue station, with the person's record.
        Case = "case",
        /// 返乡回访: the home side's ledger of people returned and their follow-up visits.
        FollowUp = "follow_up",
        /// 易流浪走失人员登记: the community register of people prone to wandering.
        Register = "register",
        /// 寻亲: search actions, families' missing-person reports, candidate review.
        Tracing = "tracing",
        /// 街面巡查: hotspots, sightings and dispatch, patrol contacts, plans, weather
        /// campaigns, rescue posts. `Manage` is the configuration (hotspots, cameras, teams,
        /// posts, warnings).
        Outreach = "outreach",
        /// 社会救助: households, applications and their steps, decisions.
        Assistance = "assistance",
    }
}

impl Role {
    /// Roles a person can hold (everyone is `Public` without holding it).
    pub fn staff_roles() -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied().filter(|r| *r != Role::Public)
    }
}

/// The permission table. Reading it top to bottom is reading the policy.
pub fn role_permits(role: Role, action: Action, resource: Resource) -> bool {
    use Action::*;
    use Resource::*;
    use Role::*;
    match (resource, role) {
        // Public forms (sign-in, reports from the public) create things without an account.
        (PublicPage, _) => matches!(action, View | Create),
        (_, Public) => false,
        (Profile, _) => matches!(action, View | Update),
        (AuditLog | AccessLog, Auditor) => matches!(action, View | Export | Verify),
        (AuditLog | AccessLog, _) => false,
        (_, Auditor) => false,
        (Dashboard, _) => action == View,
        (Region, SystemAdmin) => matches!(action, View | Create | Update),
        (Region, _) => action == View,
        (Organisation, SystemAdmin) => matches!(action, View | Create | Update | Manage),
        (Organisation, _) => action == View,
        (User, SystemAdmin) => matches!(action, View | Create | Update | Manage | Reveal | Export),
        (User, BureauLeader) => matches!(action, View | Export),
        (User, _) => false,
        // 三员分立 again: the administrator runs the system, not the casework.
        (Case, StationStaff) => matches!(action, View | Create | Update | Reveal | Export),
        (Case, PatrolStaff | HotlineOperator) => matches!(action, View | Create),
        (Case, SocialWorker) => matches!(action, View | Update),
        (Case, BureauLeader) => matches!(action, View | Export),
        (Case, _) => false,
        // Scoped by the home region, so the township sees its own returnees.
        (FollowUp, StationStaff | SocialWorker | TownshipClerk) => matches!(action, View | Update),
        (FollowUp, BureauLeader) => action == View,
        (FollowUp, _) => false,
        (Register, TownshipClerk | SocialWorker) => matches!(action, View | Create | Update),
        (Register, StationStaff | BureauLeader) => action == View,
        (Register, _) => false,
        // The hotline takes a family's report by phone; only the station confirms a match.
        (Tracing, StationStaff) => matches!(action, View | Create | Update | Reveal | Export),
        (Tracing, SocialWorker) => matches!(action, View | Update),
        (Tracing, HotlineOperator) => matches!(action, View | Create),
        (Tracing, BureauLeader) => matches!(action, View | Export),
        (Tracing, _) => false,
        // The hotline and video desk take sightings, dispatch and enter warnings; teams on
        // the street record what they find; the station runs the whole of it.
        (Outreach, StationStaff) => matches!(action, View | Create | Update | Manage | Export),
        (Outreach, HotlineOperator) => matches!(action, View | Create | Update | Manage),
        (Outreach, PatrolStaff) => matches!(action, View | Create | Update),
        (Outreach, SocialWorker) => action == View,
        (Outreach, BureauLeader) => matches!(action, View | Export),
        (Outreach, _) => false,
        // The township accepts, checks, visits and reviews; the county confirms. Social
        // workers read the files they visit.
        (Assistance, TownshipClerk) => matches!(action, View | Create | Update | Reveal | Export),
        (Assistance, CountyApprover) => matches!(action, View | Approve | Reveal | Export),
        (Assistance, SocialWorker) => action == View,
        (Assistance, BureauLeader) => matches!(action, View | Export),
        (Assistance, _) => false,
    }
}

/// 授权: a role over a jurisdiction subtree, optionally narrowed to one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: RegionCode,
    pub organisation_id: Option<i64>,
}

/// Who is asking: a signed-in user with grants, or the anonymous public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: Option<i64>,
    pub grants: Vec<Grant>,
}

impl Principal {
    pub fn anonymous() -> Principal {
        Principal {
            user_id: None,
            grants: vec![Grant {
                role: Role::Public,
                scope: RegionCode::nation(),
                organisation_id: None,
            }],
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.user_id.is_none()
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// The regions in which this principal may do `action` on `resource`: the scope to
    /// filter a list by. Empty means nowhere.
    pub fn scopes_for(&self, action: Action, resource: Resource) -> Vec<RegionCode> {
        let mut out: Vec<RegionCode> = self
            .grants
            .iter()
            .filter(|g| role_permits(g.role, action, resource))
            .map(|g| g.scope.clone())
            .collect();
        out.sort();
        out.dedup();
        // Drop scopes already covered by a wider one so list filters stay short.
        let all = out.clone();
        out.retain(|s| !all.iter().any(|o| o != s && o.contains(s)));
        out
    }
}

/// What is being acted on, for the jurisdiction part of the decision.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// No particular record: may the principal do this anywhere (route level, lists)?
    Anywhere,
    /// A record in this region, optionally belonging to an organisation.
    Record {
        region: &'a RegionCode,
        organisation_id: Option<i64>,
    },
    /// 协查共享: a record its owner shared with other jurisdictions. They may read it (and
    /// only read it); everything else is decided as for [`Target::Record`].
    Shared {
        region: &'a RegionCode,
        organisation_id: Option<i64>,
        shared_with: &'a [RegionCode],
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in and the action needs an account.
    NeedsLogin,
    /// Signed in, but no grant allows it here.
    Deny,
}

fn owns(g: &Grant, region: &RegionCode, organisation_id: Option<i64>) -> bool {
    g.scope.contains(region)
        && match (g.organisation_id, organisation_id) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        }
}

/// The one check. Every handler reaches a record only through it.
pub fn decide(p: &Principal, action: Action, resource: Resource, target: Target<'_>) -> Decision {
    let allowed = p.grants.iter().any(|g| {
        role_permits(g.role, action, resource)
            && match target {
                Target::Anywhere => true,
                Target::Record {
                    region,
                    organisation_id,
                } => owns(g, region, organisation_id),
                Target::Shared {
                    region,
                    organisation_id,
                    shared_with,
                } => {
                    owns(g, region, organisation_id)
                        || (action == Action::View
                            && shared_with
                                .iter()
                                .any(|s| g.scope.contains(s) || s.contains(&g.scope)))
                }
            }
    });
    match (allowed, p.is_anonymous()) {
        (true, _) => Decision::Allow,
        (false, true) if !role_permits(Role::Public, action, resource) => Decision::NeedsLogin,
        (false, _) => Decision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, scope: &str) -> Principal {
        Principal {
            user_id: Some(1),
            grants: vec![Grant {
                role,
                scope: RegionCode::parse(scope).unwrap(),
                organisation_id: None,
            }],
        }
    }

    fn rec(code: &str) -> RegionCode {
        RegionCode::parse(code).unwrap()
    }

    #[test]
    fn a_county_leader_reads_users_in_the_county_only() {
        let leader = user(Role::BureauLeader, "331102");
        let inside = rec("331102001000");
        let outside = rec("331121");
        let t = |r| Target::Record {
            region: r,
            organisation_id: None,
        };
        assert_eq!(
            decide(&leader, Action::View, Resource::User, t(&inside)),
            Decision::Allow
        );
        assert_eq!(
            decide(&leader, Action::View, Resource::User, t(&outside)),
            Decision::Deny
        );
        assert_eq!(
            decide(&leader, Action::Manage, Resource::User, t(&inside)),
            Decision::Deny
        );
    }

    #[test]
    fn the_admin_cannot_read_the_audit_log_and_the_auditor_can_change_nothing() {
        let admin = user(Role::SystemAdmin, "331100");
        let auditor = user(Role::Auditor, "331100");
        assert_eq!(
            decide(&admin, Action::View, Resource::AuditLog, Target::Anywhere),
            Decision::Deny
        );
        assert_eq!(
            decide(&auditor, Action::View, Resource::AuditLog, Target::Anywhere),
            Decision::Allow
        );
        for r in Resource::ALL {
            for a in [
                Action::Create,
                Action::Update,
                Action::Manage,
                Action::Reveal,
            ] {
                if !matches!(*r, Resource::Profile | Resource::PublicPage) {
                    assert_ne!(
                        decide(&auditor, a, *r, Target::Anywhere),
                        Decision::Allow,
                        "{a} {r}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_public_sees_public_pages_and_is_asked_to_log_in_elsewhere() {
        let anon = Principal::anonymous();
        assert_eq!(
            decide(&anon, Action::View, Resource::PublicPage, Target::Anywhere),
            Decision::Allow
        );
        assert_eq!(
            decide(&anon, Action::View, Resource::Dashboard, Target::Anywhere),
            Decision::NeedsLogin
        );
    }

    #[test]
    fn an_organisation_grant_is_narrower_than_its_region() {
        let mut staff = user(Role::StationStaff, "331100");
        staff.grants[0].organisation_id = Some(7);
        let region = rec("331102");
        let mine = Target::Record {
            region: &region,
            organisation_id: Some(7),
        };
        let other = Target::Record {
            region: &region,
            organisation_id: Some(8),
        };
        assert_eq!(
            decide(&staff, Action::View, Resource::Organisation, mine),
            Decision::Allow
        );
        assert_eq!(
            decide(&staff, Action::View, Resource::Organisation, other),
            Decision::Deny
        );
    }

    #[test]
    fn scopes_collapse_to_the_widest() {
        let p = Principal {
            user_id: Some(1),
            grants: vec![
                Grant {
                    role: Role::BureauLeader,
                    scope: rec("331102"),
                    organisation_id: None,
                },
                Grant {
                    role: Role::BureauLeader,
                    scope: rec("331100"),
                    organisation_id: None,
                },
                Grant {
                    role: Role::StationStaff,
                    scope: rec("330100"),
                    organisation_id: None,
                },
            ],
        };
        assert_eq!(
            p.scopes_for(Action::View, Resource::User),
            vec![rec("331100")]
        );
        assert_eq!(p.scopes_for(Action::View, Resource::Region).len(), 2);
    }

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        for r in Resource::ALL {
            assert_eq!(Resource::parse(r.as_str()), Some(*r));
        }
    }

    #[test]
    fn a_shared_search_is_read_by_the_other_county_and_changed_only_by_its_own() {
        let lishui_station = user(Role::StationStaff, "331102");
        let qingtian_station = user(Role::StationStaff, "331121");
        let qingtian_town = user(Role::StationStaff, "331121001000");
        let jinyun = user(Role::StationStaff, "331122");
        let region = rec("331102");
        let with = [rec("331121")];
        let t = Target::Shared {
            region: &region,
            organisation_id: None,
            shared_with: &with,
        };
        for p in [&lishui_station, &qingtian_station, &qingtian_town] {
            assert_eq!(
                decide(p, Action::View, Resource::Tracing, t),
                Decision::Allow
            );
        }
        assert_eq!(
            decide(&jinyun, Action::View, Resource::Tracing, t),
            Decision::Deny
        );
        assert_eq!(
            decide(&lishui_station, Action::Update, Resource::Tracing, t),
            Decision::Allow
        );
        assert_eq!(
            decide(&qingtian_station, Action::Update, Resource::Tracing, t),
            Decision::Deny
        );
        // Sharing never widens what a role may do at all.
        let clerk = user(Role::TownshipClerk, "331121");
        assert_eq!(
            decide(&clerk, Action::View, Resource::Tracing, t),
            Decision::Deny
        );
    }
}
