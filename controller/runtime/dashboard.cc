#include "controller/runtime/dashboard.h"

namespace tso::runtime {

// Plain JS and inline SVG so the page needs no assets and works offline. Hooks the browser test
// (tests/browser) relies on: table.summary tr[data-name], input#filter, div.svc[data-name]
// [data-points], svg.demand / svg.replicas with path.series[data-name], text.axis-title,
// g.legend-item, and body[data-loaded] after a render.
namespace {
// At namespace scope: the page is data, not a function body.
constexpr const char* kPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>throughput-operator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.3rem;margin-bottom:.3rem} .svc{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
.meta{font-size:.85rem;color:#555} .bar{font-size:.85rem;color:#555}
.stats{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;font-size:.85rem;margin:.5rem 0 .2rem}
.stats b{font-weight:600} svg{display:block;width:100%;height:240px;margin-top:.6rem}
svg text{font-size:11px;fill:#444} svg .axis-title{font-size:12px;fill:#222}
.bad{color:#b00020;font-weight:600}
table.summary{border-collapse:collapse;font-size:.85rem;background:#fff;margin:.5rem 0}
.summary th,.summary td{border:1px solid #ddd;padding:.2rem .5rem;text-align:left} .summary tbody tr{cursor:pointer} .summary tbody tr:hover{background:#eef4fb}
</style></head><body>
<h1>throughput-operator: predicted vs actual demand</h1>
<div class="bar">Filter <input id="filter" type="search" placeholder="namespace/name" size="28">
&middot; sort <select id="sort"><option value="name">by name</option><option value="wape">worst WAPE first</option>
<option value="replicas">most replicas first</option><option value="fallback">fallbacks first</option></select>
&middot; chart window <select id="window"><option value="300">5 min</option><option value="600" selected>10 min</option>
<option value="1800">30 min</option><option value="0">all</option></select>
&middot; times in UTC &middot; refreshed every 5 s from <a href="api/services?history=none">/api/services</a> &middot; <a href="metrics">/metrics</a></div>
<div id="empty" class="meta">Loading /api/services ...</div>
<div id="summary"></div>
<div id="services"></div>
<script>
const NS='http://www.w3.org/2000/svg';
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
function niceStep(span,n){const raw=span/n,p=Math.pow(10,Math.floor(Math.log10(raw))),f=raw/p;return (f<=1?1:f<=2?2:f<=5?5:10)*p}
function fmtNum(v,step){return step>=1?Math.round(v).toLocaleString('en'):v.toFixed(Math.min(3,Math.ceil(-Math.log10(step))))}
const TSTEPS=[5,10,15,30,60,120,300,600,900,1800,3600,7200,21600];
function fmtTime(t,withSec){const s=new Date(t*1000).toISOString();return withSec?s.substr(11,8):s.substr(11,5)}
// chart(svg, times, series, yTitle): series = [{name, values, color, dash, step}]; returns points drawn.
function chart(svg,times,series,yTitle){
  const W=Math.max(320,Math.round(svg.getBoundingClientRect().width)||900),H=240,L=64,R=16,T=28,B=42;
  svg.setAttribute('viewBox',`0 0 ${W} ${H}`);
  let lo=Infinity,hi=-Infinity;
  for(const s of series)for(const v of s.values)if(v!==null&&isFinite(v)){lo=Math.min(lo,v);hi=Math.max(hi,v)}
  if(!isFinite(lo)||times.length<1){svg.innerHTML=`<text x="${L}" y="${H/2}">no data yet</text>`;return 0}
  lo=Math.min(0,lo);if(hi<=lo)hi=lo+1;
  const ys=niceStep(hi-lo,4);hi=Math.ceil(hi/ys)*ys;
  const t0=times[0],t1=Math.max(times[times.length-1],t0+1);
  const x=t=>L+(W-L-R)*(t-t0)/(t1-t0),y=v=>T+(H-T-B)*(1-(v-lo)/(hi-lo));
  let g=`<rect x="${L}" y="${T}" width="${W-L-R}" height="${H-T-B}" fill="#fff" stroke="#ccc"/>`;
  for(let v=lo;v<=hi+ys/2;v+=ys){g+=`<line x1="${L}" x2="${W-R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L-6}" y="${y(v)+4}" text-anchor="end">${fmtNum(v,ys)}</text>`}
  const want=Math.max(2,Math.floor((W-L-R)/110)),ts=TSTEPS.find(s=>(t1-t0)/s<=want)||TSTEPS[TSTEPS.length-1];
  for(let t=Math.ceil(t0/ts)*ts;t<=t1;t+=ts){g+=`<line x1="${x(t)}" x2="${x(t)}" y1="${T}" y2="${H-B}" stroke="#f2f2f2"/><line x1="${x(t)}" x2="${x(t)}" y1="${H-B}" y2="${H-B+4}" stroke="#888"/><text x="${x(t)}" y="${H-B+16}" text-anchor="middle">${fmtTime(t,ts<60)}</text>`}
  g+=`<text class="axis-title" x="14" y="${T+(H-T-B)/2}" transform="rotate(-90 14 ${T+(H-T-B)/2})" text-anchor="middle">${esc(yTitle)}</text>`;
  g+=`<text class="axis-title" x="${L+(W-L-R)/2}" y="${H-6}" text-anchor="middle">time (UTC)</text>`;
  let points=0,lx=L;
  for(const s of series){let d='',pen=false,prev=0;
    s.values.forEach((v,i)=>{if(v===null||!isFinite(v)){pen=false;return}
      const px=x(times[i]).toFixed(1),py=y(v).toFixed(1);
      if(pen&&s.step)d+='L'+px+','+y(prev).toFixed(1);
      d+=(pen?'L':'M')+px+','+py;pen=true;prev=v;points++});
    g+=`<path class="series" data-name="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" ${s.dash?'stroke-dasharray="6,4"':''}/>`;
    g+=`<g class="legend-item"><line x1="${lx}" x2="${lx+22}" y1="12" y2="12" stroke="${s.color}" stroke-width="3" ${s.dash?'stroke-dasharray="6,3"':''}/><text x="${lx+28}" y="16">${esc(s.name)}</text></g>`;
    lx+=40+7*s.name.length}
  svg.innerHTML=g;return points}
function windowed(h){
  const times=h.times||[],w=Number(document.getElementById('window').value);
  let i0=0;if(w>0&&times.length){const end=times[times.length-1];while(i0<times.length&&times[i0]<end-w)i0++}
  const cut=a=>(a||[]).slice(i0);return {times:times.slice(i0),actual:cut(h.actual),predicted:cut(h.predicted),desired:cut(h.desired)}}
// At thousands of services the page must not fetch or draw every chart: the summary list
// (?history=none, no histories) covers every service, and only the first CHARTS services
// of the filtered, sorted list fetch their history (?service=ns/name...) and get charts.
const CHARTS=10,ROWS=200;
let summaries=[],charted=[];
const keyOf=s=>s.namespace+'/'+s.name;
function visible(){
  const f=document.getElementById('filter').value.trim().toLowerCase(),by=document.getElementById('sort').value;
  // A filter that names a service exactly (a clicked row) shows that one; otherwise substrings.
  const exact=summaries.filter(s=>keyOf(s).toLowerCase()===f);
  const list=exact.length?exact:summaries.filter(s=>!f||keyOf(s).toLowerCase().includes(f));
  const cmp={name:(a,b)=>keyOf(a)<keyOf(b)?-1:1,
    wape:(a,b)=>((b.accuracy||{}).wape||0)-((a.accuracy||{}).wape||0),
    replicas:(a,b)=>((b.replicas||{}).final||0)-((a.replicas||{}).final||0),
    fallback:(a,b)=>(b.fallback-a.fallback)||(b.valid===false)-(a.valid===false)}[by];
  return list.sort((a,b)=>cmp(a,b)||(keyOf(a)<keyOf(b)?-1:1));
}
const num=v=>v===null||v===undefined?'-':(+v).toFixed(1);
function renderSummary(list){
  const n=summaries.length,f=document.getElementById('filter').value.trim();
  document.getElementById('empty').textContent=!n?'No ThroughputServices yet: kubectl apply one.':
    !list.length?`No service matches "${f}" (${n} in all).`:'';
  const root=document.getElementById('summary');
  if(!list.length){root.innerHTML='';return}
  let t=`<div class="meta">${n} service${n===1?'':'s'}${f?`, ${list.length} matching`:''}; charts for the first ${Math.min(CHARTS,list.length)}${list.length>CHARTS?' (filter or sort to see others)':''}; click a row to chart it alone.</div>
<table class="summary"><thead><tr><th>service</th><th>mode</th><th>model</th><th>demand</th><th>forecast peak</th><th>replicas now / desired</th><th>winner</th><th>WAPE</th><th>coverage</th><th>status</th></tr></thead><tbody>`;
  for(const s of list.slice(0,ROWS)){const r=s.replicas||{},a=s.accuracy||{};
    const status=s.valid===false?'<span class="bad">invalid</span>':s.fallback?'<span class="bad">fallback</span>':'ok';
    t+=`<tr data-name="${esc(keyOf(s))}"><td>${esc(keyOf(s))}</td><td>${esc(s.mode)}</td><td>${esc(s.model||'-')}</td><td>${num(s.demand)}</td><td>${num(s.predictedDemand)}</td><td>${r.current??'-'} / ${r.final??'-'}</td><td>${esc(r.winner||'-')}</td><td>${(100*(a.wape||0)).toFixed(1)}%</td><td>${(100*(a.coverage||0)).toFixed(0)}%</td><td>${status}</td></tr>`}
  t+='</tbody></table>';
  if(list.length>ROWS)t+=`<div class="meta">${list.length-ROWS} more not listed: narrow the filter.</div>`;
  root.innerHTML=t;
  for(const tr of root.querySelectorAll('tr[data-name]'))tr.onclick=()=>{document.getElementById('filter').value=tr.dataset.name;refresh(false)};
}
function renderCharts(){
  const root=document.getElementById('services');root.innerHTML='';
  for(const s of charted){
    const div=document.createElement('div');div.className='svc';div.dataset.name=keyOf(s);
    const r=s.replicas||{},acc=s.accuracy||{};
    div.innerHTML=`<b>${esc(s.namespace)}/${esc(s.name)}</b> <span class="meta">mode ${esc(s.mode)} &middot; model ${esc(s.model||'-')} &middot; step ${esc(s.step)}s</span>
      <div class="stats"><span>demand now <b>${num(s.demand)}</b></span><span>forecast peak over lead time <b>${num(s.predictedDemand)}</b></span>
      <span>lead time <b>${s.leadTimeSeconds}s</b></span>
      <span>replicas <b>${r.current}</b> now, <b>${r.final}</b> desired (reactive ${r.reactive}, predicted ${r.predicted}, scheduled ${r.scheduled}; winner <b>${esc(r.winner)}</b>)</span>
      <span>WAPE <b>${(100*(acc.wape||0)).toFixed(1)}%</b>, coverage <b>${(100*(acc.coverage||0)).toFixed(0)}%</b> over ${acc.scored||0} points</span></div>
      ${s.fallback?'<div class="bad">fallback: demand data unavailable, holding replicas</div>':''}`;
    const h=windowed(s.history||{});
    const dem=[{name:'actual demand',values:h.actual,color:'#1f77b4'},
               {name:`forecast (made ${s.leadTimeSeconds}s ahead)`,values:h.predicted,color:'#ff7f0e',dash:true}];
    const rep=[{name:'desired replicas',values:h.desired,color:'#2ca02c',step:true}];
    const s1=document.createElementNS(NS,'svg');s1.classList.add('demand');
    const s2=document.createElementNS(NS,'svg');s2.classList.add('replicas');
    div.appendChild(s1);div.appendChild(s2);root.appendChild(div);
    const n1=chart(s1,h.times,dem,'demand (query units)'),n2=chart(s2,h.times,rep,'replicas');div.dataset.points=n1+n2;
  }
}
// refresh(true) re-reads the summary list; a filter or sort change re-reads only the charts.
let busy=false,again=null;
async function refresh(withSummary){
  if(busy){again=again||withSummary;return}busy=true;
  try{
    if(withSummary||!summaries.length)summaries=await (await fetch('api/services?history=none')).json();
    const list=visible();renderSummary(list);
    const keys=list.filter(s=>s.valid!==false).slice(0,CHARTS).map(keyOf);
    charted=keys.length?await (await fetch('api/services?'+keys.map(k=>'service='+encodeURIComponent(k)).join('&'))).json():[];
    renderCharts();
    document.body.dataset.loaded='true';
  }catch(e){document.getElementById('empty').textContent='cannot reach the operator: '+e}
  finally{busy=false;if(again!==null){const w=again;again=null;refresh(w)}}
}
document.getElementById('window').addEventListener('change',renderCharts);
document.getElementById('filter').addEventListener('input',()=>refresh(false));
document.getElementById('sort').addEventListener('change',()=>refresh(false));
window.addEventListener('resize',renderCharts);
// A hidden tab (another tab in front, a minimised window) does not poll the operator; it
// refreshes at once when shown again.
refresh(true);setInterval(()=>{if(!document.hidden)refresh(true)},5000);
document.addEventListener('visibilitychange',()=>{if(!document.hidden)refresh(true)});
</script></body></html>
)HTML";
}  // namespace

const char* dashboardPage() { return kPage; }

}  // namespace tso::runtime
