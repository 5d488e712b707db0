//! Sanitation workers' protective equipment (环卫工人防护): which items each kind of worker must
//! wear, by the edition of the rule in force, and what an inspection that finds some missing costs
//! the worker's district. The first edition is the notice of the city's environmental sanitation
//! centre of 2 February 2020: sweepers and cleaners mask and gloves; garbage collection and
//! transfer-station staff mask, gloves and disinfectant; waste-mask collectors mask, gloves, rubber
//! boots, a protective suit or a raincoat, and disinfectant; 2 points off per missing item.

use time::Date;

/// The kind of work, which decides the items required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkerRole {
    /// 清扫保洁: front-line sweepers and cleaners.
    Cleaner,
    /// 垃圾收运和垃圾站管护: garbage collection and transfer stations.
    Collection,
    /// 废弃口罩收运: collecting discarded masks.
    WasteMaskCollector,
}

impl WorkerRole {
    pub const ALL: [WorkerRole; 3] = [WorkerRole::Cleaner, WorkerRole::Collection, WorkerRole::WasteMaskCollector];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkerRole::Cleaner => "cleaner",
            WorkerRole::Collection => "collection",
            WorkerRole::WasteMaskCollector => "waste_mask_collector",
        }
    }

    pub fn parse(code: &str) -> Option<WorkerRole> {
        WorkerRole::ALL.into_iter().find(|r| r.as_str() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            WorkerRole::Cleaner => "清扫保洁",
            WorkerRole::Collection => "垃圾收运和垃圾站管护",
            WorkerRole::WasteMaskCollector => "废弃口罩收运",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            WorkerRole::Cleaner => "Sweeping and cleaning",
            WorkerRole::Collection => "Garbage collection and transfer stations",
            WorkerRole::WasteMaskCollector => "Collecting discarded masks",
        }
    }
}

/// An item a rule can require. "防护服或雨衣" is one item, met by either garment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PpeItem {
    Mask,
    Gloves,
    Disinfectant,
    RubberBoots,
    SuitOrRaincoat,
    Goggles,
}

impl PpeItem {
    pub const ALL: [PpeItem; 6] = [PpeItem::Mask, PpeItem::Gloves, PpeItem::Disinfectant, PpeItem::RubberBoots, PpeItem::SuitOrRaincoat, PpeItem::Goggles];

    pub fn as_str(self) -> &'static str {
        match self {
            PpeItem::Mask => "mask",
            PpeItem::Gloves => "gloves",
            PpeItem::Disinfectant => "disinfectant",
            PpeItem::RubberBoots => "rubber_boots",
            PpeItem::SuitOrRaincoat => "suit_or_raincoat",
            PpeItem::Goggles => "goggles",
        }
    }

    pub fn parse(code: &str) -> Option<PpeItem> {
        PpeItem::ALL.into_iter().find(|i| i.as_str() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            PpeItem::Mask => "口罩",
            PpeItem::Gloves => "手套",
            PpeItem::Disinfectant => "消毒液",
            PpeItem::RubberBoots => "胶鞋(雨靴)",
            PpeItem::SuitOrRaincoat => "防护服或雨衣",
            PpeItem::Goggles => "护目镜",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            PpeItem::Mask => "Mask",
            PpeItem::Gloves => "Gloves",
            PpeItem::Disinfectant => "Disinfectant",
            PpeItem::RubberBoots => "Rubber boots",
            PpeItem::SuitOrRaincoat => "Protective suit or raincoat",
            PpeItem::Goggles => "Goggles",
        }
    }
}

/// What an inspector can see a worker has: the garments apart, so that the record says which one
/// met "suit or raincoat".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Worn {
    Mask,
    Gloves,
    Disinfectant,
    RubberBoots,
    ProtectiveSuit,
    Raincoat,
    Goggles,
}

impl Worn {
    pub const ALL: [Worn; 7] = [Worn::Mask, Worn::Gloves, Worn::Disinfectant, Worn::RubberBoots, Worn::ProtectiveSuit, Worn::Raincoat, Worn::Goggles];

    pub fn as_str(self) -> &'static str {
        match self {
            Worn::Mask => "mask",
            Worn::Gloves => "gloves",
            Worn::Disinfectant => "disinfectant",
            Worn::RubberBoots => "rubber_boots",
            Worn::ProtectiveSuit => "protective_suit",
            Worn::Raincoat => "raincoat",
            Worn::Goggles => "goggles",
        }
    }

    pub fn parse(code: &str) -> Option<Worn> {
        Worn::ALL.into_iter().find(|w| w.as_str() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Worn::Mask => "口罩",
            Worn::Gloves => "手套",
            Worn::Disinfectant => "消毒液",
            Worn::RubberBoots => "胶鞋(雨靴)",
            Worn::ProtectiveSuit => "防护服",
            Worn::Raincoat => "雨衣",
            Worn::Goggles => "护目镜",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Worn::Mask => "Mask",
            Worn::Gloves => "Gloves",
            Worn::Disinfectant => "Disinfectant",
            Worn::RubberBoots => "Rubber boots",
            Worn::ProtectiveSuit => "Protective suit",
            Worn::Raincoat => "Raincoat",
            Worn::Goggles => "Goggles",
        }
    }

    /// The required item this meets.
    pub fn meets(self) -> PpeItem {
        match self {
            Worn::Mask => PpeItem::Mask,
            Worn::Gloves => PpeItem::Gloves,
            Worn::Disinfectant => PpeItem::Disinfectant,
            Worn::RubberBoots => PpeItem::RubberBoots,
            Worn::ProtectiveSuit | Worn::Raincoat => PpeItem::SuitOrRaincoat,
            Worn::Goggles => PpeItem::Goggles,
        }
    }
}

/// An edition of the rule: from when it applies, what each role must wear, what a missing item
/// costs, and the score a district starts its month from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edition {
    pub effective_from: Date,
    pub required: Vec<(WorkerRole, Vec<PpeItem>)>,
    pub points_per_item: u32,
    pub base_score: u32,
}

impl Edition {
    /// The notice of 2 February 2020.
    pub fn first() -> Edition {
        use PpeItem::*;
        Edition {
            effective_from: time::macros::date!(2020 - 02 - 02),
            required: vec![
                (WorkerRole::Cleaner, vec![Mask, Gloves]),
                (WorkerRole::Collection, vec![Mask, Gloves, Disinfectant]),
                (WorkerRole::WasteMaskCollector, vec![Mask, Gloves, RubberBoots, SuitOrRaincoat, Disinfectant]),
            ],
            points_per_item: 2,
            base_score: 100,
        }
    }

    /// The items `role` must wear under this edition, in the order the notice lists them.
    pub fn items_for(&self, role: WorkerRole) -> &[PpeItem] {
        self.required.iter().find(|(r, _)| *r == role).map_or(&[], |(_, items)| items.as_slice())
    }

    /// What an inspection finds: the required items not met by what the worker wore, and the points
    /// they cost. Gear the role does not require is refused, naming it, so that a form sending items
    /// of another role is an error rather than silently ignored.
    pub fn assess(&self, role: WorkerRole, worn: &[Worn]) -> Result<Assessment, Worn> {
        let required = self.items_for(role);
        if let Some(extra) = worn.iter().find(|w| !required.contains(&w.meets())) {
            return Err(*extra);
        }
        let missing: Vec<PpeItem> = required.iter().copied().filter(|item| !worn.iter().any(|w| w.meets() == *item)).collect();
        let points = self.points_per_item * missing.len() as u32;
        Ok(Assessment { checked: required.len() as u32, missing, points })
    }

    /// A district's score for a month with `deducted` points off (appeals accepted already
    /// restored): the base less the deductions, never below zero.
    pub fn score(&self, deducted: u32) -> u32 {
        self.base_score.saturating_sub(deducted)
    }
}

/// The outcome of one inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Items the role requires, all checked.
    pub checked: u32,
    pub missing: Vec<PpeItem>,
    pub points: u32,
}

/// The edition in force on `day`: the latest that started by then. `None` before the first.
pub fn edition_on(editions: &[Edition], day: Date) -> Option<&Edition> {
    editions.iter().filter(|e| e.effective_from <= day).max_by_key(|e| e.effective_from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn each_missing_item_costs_two_points_and_a_suit_or_a_raincoat_meets_one_item() {
        let first = Edition::first();
        let collector = WorkerRole::WasteMaskCollector;
        let without_boots_and_disinfectant = first.assess(collector, &[Worn::Mask, Worn::Gloves, Worn::Raincoat]).unwrap();
        assert_eq!(without_boots_and_disinfectant.missing, [PpeItem::RubberBoots, PpeItem::Disinfectant]);
        assert_eq!((without_boots_and_disinfectant.checked, without_boots_and_disinfectant.points), (5, 4));
        let suit = first.assess(collector, &[Worn::Mask, Worn::Gloves, Worn::ProtectiveSuit, Worn::RubberBoots, Worn::Disinfectant]).unwrap();
        let raincoat = first.assess(collector, &[Worn::Mask, Worn::Gloves, Worn::Raincoat, Worn::RubberBoots, Worn::Disinfectant]).unwrap();
        assert_eq!((suit.points, raincoat.points), (0, 0), "either garment meets the item");
        let both = first.assess(collector, &[Worn::ProtectiveSuit, Worn::Raincoat]).unwrap();
        assert_eq!(both.points, 8, "both garments still meet one item: mask, gloves, boots and disinfectant are missing");
        assert_eq!(first.assess(WorkerRole::Cleaner, &[]).unwrap().points, 4);
        assert_eq!(first.assess(WorkerRole::Collection, &[Worn::Mask]).unwrap().missing, [PpeItem::Gloves, PpeItem::Disinfectant]);
    }

    #[test]
    fn gear_the_role_does_not_require_is_refused() {
        assert_eq!(Edition::first().assess(WorkerRole::Cleaner, &[Worn::Mask, Worn::RubberBoots]), Err(Worn::RubberBoots));
    }

    #[test]
    fn a_later_edition_applies_from_its_day_and_the_score_stops_at_zero() {
        let mut goggles = Edition::first();
        goggles.effective_from = date!(2020 - 03 - 01);
        goggles.required[2].1.push(PpeItem::Goggles);
        let editions = [Edition::first(), goggles];
        assert!(edition_on(&editions, date!(2020 - 02 - 01)).is_none(), "no rule before the notice");
        let february = edition_on(&editions, date!(2020 - 02 - 29)).unwrap();
        let march = edition_on(&editions, date!(2020 - 03 - 01)).unwrap();
        let full = [Worn::Mask, Worn::Gloves, Worn::Raincoat, Worn::RubberBoots, Worn::Disinfectant];
        assert_eq!(february.assess(WorkerRole::WasteMaskCollector, &full).unwrap().points, 0);
        assert_eq!(march.assess(WorkerRole::WasteMaskCollector, &full).unwrap().missing, [PpeItem::Goggles]);
        assert_eq!((february.score(30), february.score(130)), (70, 0));
    }
}
