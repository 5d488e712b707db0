-- The areas listed as outbreak areas, as dated data: a person whose origin lies in one (by the
-- prefix of its division code, or by its name in free text) on the day they left it belongs to the
-- ledger category named here. The ledger import uses it now; the checkpoint and workplace modules
-- reuse it. An area is listed from `listed_from` until `listed_until` (exclusive; null: still).
create table outbreak_areas (
    id integer primary key,
    -- GB/T 2260 division-code prefix: 2 digits a province, 4 a prefecture, 6 a county.
    prefix text not null,
    name text not null,
    name_en text not null,
    -- Other names people write for it in a free-text origin ("武汉", "湖北").
    aliases text not null,
    -- The ledger category of a person coming from it (screening::Category's code).
    category text not null,
    listed_from date not null,
    listed_until date,
    source text not null
);
create index outbreak_areas_prefix on outbreak_areas(prefix);
insert into outbreak_areas (prefix, name, name_en, aliases, category, listed_from, listed_until, source) values
    ('4201', '湖北省武汉市', 'Wuhan, Hubei', '武汉市,武汉', 'wuhan_returnee', '2019-12-01', null, '疫情发生地;台账自 2019-12-01 起登记武汉来衡人员'),
    ('42', '湖北省', 'Hubei', '湖北省,湖北', 'hubei_returnee', '2020-01-23', null, '2020-01-23 武汉离汉通道关闭,湖北各市相继封控'),
    ('3303', '浙江省温州市', 'Wenzhou, Zhejiang', '温州市,温州', 'high_risk_returnee', '2020-02-02', null, '复工登记询问近 14 天湖北、武汉、温州旅居史(RULES.md §3)');
