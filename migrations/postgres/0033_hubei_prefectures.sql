-- A free-text origin often names a prefecture of Hubei without the province ("宜昌"): its cities
-- are names of the Hubei listing too, so such a row is filed as 湖北返乡 (武汉 has its own listing).
update outbreak_areas set aliases = '湖北省,湖北,黄石,十堰,宜昌,襄阳,鄂州,荆门,孝感,荆州,黄冈,咸宁,随州,恩施,仙桃,潜江,天门,神农架'
    where prefix = '42' and name = '湖北省';
